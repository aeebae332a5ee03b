"""Teaching: step-by-step derivations (steps), answer checking with the lesson's
pitfalls (check), the lesson's examples and practice problems (lesson), practice mode
(practice) and their commands (commands)."""
