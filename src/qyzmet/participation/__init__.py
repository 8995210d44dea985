"""Open legal acts: draft acts published for public comment, comments moderated and answered,
a signed summary when the comment period ends."""
