"""Engine benchmark: the AE plan over 10,000 participants and 5,000,000 deals."""
