"""Public portal pages shared by every room: home, sign-in, language switch."""
