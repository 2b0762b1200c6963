public import Storage

/// stats-service's tables: one row per record, the catalog's snapshot joined with the
/// current certificate, plus where each feed has been read to. All of it can be deleted:
/// it is rebuilt from the feeds.
public enum ReadModelSchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE records (
                id INTEGER PRIMARY KEY,             -- catalog-service's record id
                booking_id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                contact_name TEXT NOT NULL,
                contact_email TEXT NOT NULL,
                organisation_id TEXT NOT NULL,
                organisation_name TEXT NOT NULL,
                booker_id TEXT NOT NULL,
                booker_name TEXT NOT NULL,
                booker_email TEXT NOT NULL,
                course_id TEXT NOT NULL,
                course_name TEXT NOT NULL,
                validity_months INTEGER NOT NULL,
                schedule_id TEXT NOT NULL,
                start TEXT NOT NULL,                -- ISO local date-time
                completion TEXT NOT NULL,           -- ISO date: the schedule's last day
                result TEXT NOT NULL,               -- pass, fail or ''
                outstanding INTEGER NOT NULL,       -- 1: a balance is owed
                booking_url TEXT NOT NULL,
                -- the current certificate (from cert-store's feed)
                has_certificate INTEGER NOT NULL DEFAULT 0,
                expiry TEXT,                        -- ISO date; NULL: none, or never expires
                cert_type TEXT NOT NULL DEFAULT '',
                certificate_updated INTEGER NOT NULL DEFAULT 0,
                shared INTEGER NOT NULL DEFAULT 0,
                -- another record of the same contact and course starts later
                rebooked INTEGER NOT NULL DEFAULT 0
            );
            \(indexes)
            CREATE TABLE certificates (
                record_id INTEGER PRIMARY KEY,
                has_current INTEGER NOT NULL,
                expiry TEXT,
                cert_type TEXT NOT NULL,
                updated INTEGER NOT NULL,
                shared INTEGER NOT NULL
            );
            CREATE TABLE feed_positions (
                feed TEXT PRIMARY KEY,              -- 'catalog' or 'certificates'
                feed_id TEXT NOT NULL,
                seq INTEGER NOT NULL
            ) WITHOUT ROWID;
            -- 'bulk_load' = 1 while a rebuild runs without the indexes below
            CREATE TABLE read_model_state (
                key TEXT PRIMARY KEY,
                value INTEGER NOT NULL
            ) WITHOUT ROWID;
            """),
        Migration(version: 2, sql: completionIndex),
    ]

    /// Pages in completion order (the default): the index ends with the id, so a page is one
    /// range of it, in order, without sorting a day's records first.
    static let completionIndex = "CREATE INDEX IF NOT EXISTS records_by_completion ON records(completion);"

    /// The records table's secondary indexes. A rebuild from nothing drops them and makes
    /// them again at the end: one sorted build each is far cheaper than a million inserts.
    static let indexes = """
        -- The stats bar reads only these indexes (they cover every status fact).
        CREATE INDEX IF NOT EXISTS records_by_completion_facts ON records(completion, result, has_certificate, expiry, rebooked);
        CREATE INDEX IF NOT EXISTS records_by_organisation_facts ON records(organisation_id, completion, result, has_certificate, expiry, rebooked);
        CREATE INDEX IF NOT EXISTS records_by_booker_facts ON records(booker_id, completion, result, has_certificate, expiry, rebooked);
        -- Pages in completion order.
        \(completionIndex)
        -- Pages in expiry order.
        CREATE INDEX IF NOT EXISTS records_by_expiry ON records(expiry);
        -- The re-booked flag.
        CREATE INDEX IF NOT EXISTS records_by_contact_course ON records(contact_id, course_id, start);
        """

    static let indexNames = ["records_by_completion", "records_by_completion_facts", "records_by_organisation_facts", "records_by_booker_facts",
                             "records_by_expiry", "records_by_contact_course"]
}
