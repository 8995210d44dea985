"""Open dialogue: citizens ask the head of an agency a public question; the agency answers
within its deadline; questions, answers and ratings are public."""
