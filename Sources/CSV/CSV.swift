// Filled in by the CSV work: an incremental RFC 4180 reader and a writer.
