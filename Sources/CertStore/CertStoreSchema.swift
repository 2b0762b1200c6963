internal import Storage
internal import ChangeFeed

/// cert-store's database (DIR/certificates.sqlite, synchronous=FULL): templates, one
/// certificate per record with numbered versions and their files (the large ones in
/// DIR/certificate-files, see `FileDirectory`), the audit, the e-mails asked for, and the
/// change feed.
enum CertStoreSchema {
    static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE templates (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                footer TEXT NOT NULL,
                signatory TEXT NOT NULL,
                primary_colour TEXT NOT NULL,
                accent_colour TEXT NOT NULL,
                orientation TEXT NOT NULL,
                logo BLOB,
                revision INTEGER NOT NULL,
                updated_at_ms INTEGER NOT NULL,
                updated_by TEXT NOT NULL
            ) WITHOUT ROWID;
            -- serial: the running number in the certificate number (CP-<year>-<serial>).
            CREATE TABLE certificates (
                record_id INTEGER PRIMARY KEY,
                serial INTEGER NOT NULL UNIQUE,
                number TEXT NOT NULL UNIQUE,
                code TEXT NOT NULL UNIQUE,
                shared INTEGER NOT NULL DEFAULT 0,
                created_at_ms INTEGER NOT NULL
            );
            -- state: active (the newest active one is current), replaced or revoked.
            CREATE TABLE versions (
                record_id INTEGER NOT NULL REFERENCES certificates(record_id),
                number INTEGER NOT NULL,
                kind TEXT NOT NULL,
                media_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                digest TEXT NOT NULL,
                expiry TEXT,
                state TEXT NOT NULL,
                created_at_ms INTEGER NOT NULL,
                created_by TEXT NOT NULL,
                file_name TEXT NOT NULL,
                replaces INTEGER,
                revoked_reason TEXT,
                PRIMARY KEY (record_id, number)
            ) WITHOUT ROWID;
            CREATE TABLE files (
                record_id INTEGER NOT NULL,
                version INTEGER NOT NULL,
                bytes BLOB NOT NULL,
                PRIMARY KEY (record_id, version),
                FOREIGN KEY (record_id, version) REFERENCES versions(record_id, number)
            );
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                record_id INTEGER NOT NULL,
                at_ms INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                version INTEGER NOT NULL,
                detail TEXT NOT NULL
            );
            CREATE INDEX audit_by_record ON audit(record_id, id);
            -- "Upload Cert & Send Email": kept until export-service's outbox takes it.
            CREATE TABLE email_requests (
                id TEXT PRIMARY KEY,
                record_id INTEGER NOT NULL,
                version INTEGER NOT NULL,
                recipients TEXT NOT NULL,
                requested_by TEXT NOT NULL,
                at_ms INTEGER NOT NULL,
                state TEXT NOT NULL DEFAULT 'pending'
            ) WITHOUT ROWID;
            """),
        FeedLog.migration(version: 2),
        // path: an upload of 1 MiB or more is kept in DIR/certificate-files under this name
        // (bytes then empty); NULL: the bytes are here.
        Migration(version: 3, sql: "ALTER TABLE files ADD COLUMN path TEXT;"),
    ]
}
