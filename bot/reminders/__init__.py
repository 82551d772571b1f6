"""Follow-up reminders: the dispatcher (wake-ups, claiming, delivery), the card content, the pacing."""
