internal import Storage
internal import Sodium
internal import Foundation

/// Uploaded files from 1 MiB on, kept outside the database in DIR/certificate-files, one
/// file each (SQLite's own advice for blobs this large). Such a file is written as its
/// pieces arrive, under its own name (the directory synced at once, while they come), a
/// megabyte at a time straight to the disk, past the page cache (where the file system
/// allows; else synced every megabyte): its bytes are on disk a moment after the last one
/// and are written once, not into the WAL and again into the database. The file is synced
/// before the version naming it is committed: a committed version always has its file.
/// The database decides what a file is: one that no version names (an upload refused,
/// broken off, or cut short by a stopped process) is removed, at once or at start.
final class FileDirectory: Sendable {
    let path: String
    /// Uploads from this size on are kept here; smaller ones stay in the database.
    static let fromBytes = 1 << 20
    /// An incoming file is synced whenever this much more is written.
    static let syncEvery = 1 << 20

    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func path(of name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// A new file for record `recordID`'s upload.
    func create(for recordID: UInt64) async throws -> IncomingFile {
        // Unique without asking the database: the record and 12 random bytes.
        let name = "r\(recordID)-\(Sodium.randomToken(bytes: 12))"
        let file = DurableFile(path: path(of: name))
        try await file.create(syncingEvery: Self.syncEvery, syncingDirectory: true, bypassingCache: true)
        return IncomingFile(name: name, file: file)
    }

    /// Removes the files no version names; returns how many.
    @discardableResult
    func removeUnnamed(keeping named: Set<String>) throws -> Int {
        var removed = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where !named.contains(name) {
            try FileManager.default.removeItem(atPath: path(of: name))
            removed += 1
        }
        if removed > 0 { try DurableFile.syncDirectory(path) }
        return removed
    }
}

/// An upload's file while its pieces are written, then finished (synced) or discarded.
struct IncomingFile: Sendable {
    let name: String
    let file: DurableFile

    /// Queues `piece` to be written after the ones before it.
    func add(_ piece: [UInt8]) { file.queueWrite(piece) }

    /// Every piece written and synced.
    func finish() async throws { try await file.finish() }

    /// Once its version is committed: brought into memory in the background, as a file
    /// written through the page cache would have stayed there, since a certificate just
    /// uploaded is often read at once (attached to its "& Send Email" e-mail, opened by the
    /// admin to check it). The disk fills the pages; no copy costs the CPU.
    func readIntoMemory() { file.readIntoMemory() }

    /// Removes the file, finished or not.
    func discard() async { await file.discard() }
}

/// Where a version's file is: in the database (its row in `files`) or in the file directory.
enum StoredFile: Sendable {
    case inDatabase(rowID: Int64, size: Int)
    case inDirectory(path: String, size: Int)

    var size: Int {
        switch self {
        case .inDatabase(_, let size), .inDirectory(_, let size): size
        }
    }
}

/// A version's file read piece by piece, as its turn comes. Files are never changed once
/// written, so each piece may be read on its own.
struct FileReader: Sendable {
    private enum Source {
        case database(DatabasePool, rowID: Int64)
        case directory(DurableFile)
    }

    let size: Int
    private let source: Source

    init(_ location: StoredFile, pool: DatabasePool) async throws {
        size = location.size
        switch location {
        case .inDatabase(let rowID, _):
            source = .database(pool, rowID: rowID)
        case .inDirectory(let path, _):
            let file = DurableFile(path: path)
            try await file.openForReading(readingAhead: true)
            source = .directory(file)
        }
    }

    /// Up to `maxBytes` from `offset` on.
    func piece(at offset: Int, maxBytes: Int) async throws -> [UInt8] {
        switch source {
        case .database(let pool, let rowID):
            try await pool.read { db in
                try db.blobPiece(table: "files", column: "bytes", rowID: rowID, offset: offset, maxBytes: maxBytes)
            }
        case .directory(let file):
            try await file.read(at: offset, upTo: maxBytes)
        }
    }
}
