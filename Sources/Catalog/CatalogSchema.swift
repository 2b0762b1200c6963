public import Storage
internal import ChangeFeed

/// catalog-service's tables. Ids are the booking system's own (from the import file);
/// an attendee (one record) has an integer id of ours that cert-store and stats-service use.
public enum CatalogSchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE organisations (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE bookers (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                email TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE contacts (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                email TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE courses (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                validity_months INTEGER NOT NULL,      -- 0: certificates never expire
                booking_url TEXT NOT NULL DEFAULT '',
                template_id TEXT NOT NULL DEFAULT ''
            ) WITHOUT ROWID;
            CREATE TABLE schedules (
                id TEXT PRIMARY KEY,
                course_id TEXT NOT NULL REFERENCES courses(id),
                start TEXT NOT NULL,                   -- ISO local date-time
                end TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX schedules_by_course ON schedules(course_id, start);
            CREATE TABLE bookings (
                id TEXT PRIMARY KEY,
                organisation_id TEXT NOT NULL REFERENCES organisations(id),
                booker_id TEXT NOT NULL REFERENCES bookers(id),
                outstanding TEXT NOT NULL DEFAULT ''   -- a decimal; '' or 0: paid
            ) WITHOUT ROWID;
            CREATE INDEX bookings_by_organisation ON bookings(organisation_id);
            CREATE INDEX bookings_by_booker ON bookings(booker_id);
            CREATE TABLE attendees (
                id INTEGER PRIMARY KEY,
                booking_id TEXT NOT NULL REFERENCES bookings(id),
                contact_id TEXT NOT NULL REFERENCES contacts(id),
                schedule_id TEXT NOT NULL REFERENCES schedules(id),
                result TEXT NOT NULL DEFAULT '',       -- pass, fail or ''
                UNIQUE (booking_id, contact_id, schedule_id)
            );
            CREATE INDEX attendees_by_contact ON attendees(contact_id);
            CREATE INDEX attendees_by_schedule ON attendees(schedule_id);
            CREATE TABLE accounts (
                email TEXT PRIMARY KEY,                -- lower-cased
                role TEXT NOT NULL CHECK (role IN ('admin', 'orgrep', 'booker')),
                organisation_id TEXT NOT NULL DEFAULT '',
                booker_id TEXT NOT NULL DEFAULT '',
                password_hash TEXT NOT NULL DEFAULT '', -- argon2id; '' until a password is set
                failed_attempts INTEGER NOT NULL DEFAULT 0,
                locked_until_ms INTEGER NOT NULL DEFAULT 0,
                invitation_digest BLOB,
                invitation_expires_ms INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            CREATE UNIQUE INDEX accounts_by_invitation ON accounts(invitation_digest) WHERE invitation_digest IS NOT NULL;
            """),
        FeedLog.migration(version: 2),
    ]

    /// The columns of a record snapshot, joined; `RecordSnapshot.init(row:)` reads them in
    /// this order. Append a `WHERE` naming `a.`, `b.`, `s.` … columns.
    static let snapshotSelect = """
        SELECT a.id, a.booking_id, b.organisation_id, o.name, b.booker_id, k.name, k.email,
               a.contact_id, c.name, c.email, s.course_id, u.name, u.validity_months,
               a.schedule_id, s.start, s.end, a.result, b.outstanding, u.booking_url, u.template_id
        FROM attendees a
        JOIN bookings b ON b.id = a.booking_id
        JOIN organisations o ON o.id = b.organisation_id
        JOIN bookers k ON k.id = b.booker_id
        JOIN contacts c ON c.id = a.contact_id
        JOIN schedules s ON s.id = a.schedule_id
        JOIN courses u ON u.id = s.course_id
        """
}
