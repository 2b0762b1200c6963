/// One numbered step of a schema, applied once, in order, at start-up.
public struct Migration: Sendable {
    /// The schema version the database is at once this step has run; versions start at 1.
    public var version: Int
    /// One or more `;`-separated statements.
    public var sql: String

    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}

/// Why a list of migrations could not be applied.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file was migrated by a newer build; an older one must not write to it.
    case databaseIsNewer(databaseVersion: Int, latestKnownVersion: Int)
    /// Versions must be positive and strictly increasing in the list.
    case versionOutOfOrder(version: Int, previous: Int)

    public var description: String {
        switch self {
        case .databaseIsNewer(let databaseVersion, let latestKnownVersion):
            "the database is at schema version \(databaseVersion), newer than the latest this build knows "
                + "(\(latestKnownVersion)); refusing to open it — run a newer build"
        case .versionOutOfOrder(let version, let previous):
            "migration version \(version) follows version \(previous); versions must be positive and increasing"
        }
    }
}

extension Database {
    /// Brings the schema up to the last of `migrations`, each in its own transaction, and records
    /// progress in `PRAGMA user_version` so that a migration never runs twice.
    public func migrate(_ migrations: [Migration]) throws {
        var latest = 0
        for migration in migrations {
            guard migration.version > latest else {
                throw MigrationError.versionOutOfOrder(version: migration.version, previous: latest)
            }
            latest = migration.version
        }
        let current = try userVersion
        guard current <= latest else {
            throw MigrationError.databaseIsNewer(databaseVersion: current, latestKnownVersion: latest)
        }
        for migration in migrations where migration.version > current {
            try transaction(.immediate) { db in
                // Read again under the write lock: another process may have migrated meanwhile.
                guard try db.userVersion < migration.version else { return }
                try db.execute(migration.sql)
                // user_version lives in the file header, so it commits or rolls back with the step.
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
