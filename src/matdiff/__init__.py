"""matdiff: symbolic matrix calculus."""
