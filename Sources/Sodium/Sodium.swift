// Filled in by the Sodium work: password hashing, sealed boxes, random tokens.
