// Filled in by the demo-data work: a deterministic generator of import files.
