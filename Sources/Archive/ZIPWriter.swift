internal import CArchive
public import Foundation

/// A ZIP file written as a stream: entries go in (name, modification time, bytes, in pieces
/// if need be) and the ZIP's bytes come out of ``takeOutput()`` as they are made — no
/// temporary file, and memory bounded by one piece plus libarchive's 64 KiB block.
///
/// Entries carry data descriptors (nothing is ever seeked back), ZIP64 fields when an
/// entry's size is not given up front, and names flagged UTF-8 (so Python's `zipfile` and
/// Windows read them right). Not thread-safe and not Sendable: one owner uses it from one
/// thread (export-service keeps it on a thread of its own, as libarchive's calls do work
/// the cooperative pool should not).
public final class ZIPWriter {
    private let archive: OpaquePointer
    private let sink: ZIPOutput
    private var entryOpen = false
    private var remaining: Int64?
    private var closed = false

    /// Bytes of ZIP written so far (taken or not).
    public var bytesWritten: Int64 { sink.total }

    public init() throws(ZIPError) {
        guard let archive = archive_write_new() else { throw ZIPError("libarchive: out of memory") }
        self.archive = archive
        sink = ZIPOutput()
        try check(archive_write_set_format_zip(archive), "set the ZIP format")
        // Without it, names are not flagged UTF-8 in a non-UTF-8 locale (mojibake in zipfile).
        try check(archive_write_set_format_option(archive, "zip", "hdrcharset", "UTF-8"), "set hdrcharset")
        // 64 KiB blocks: fewer callbacks; and no padding of the last one to a block multiple.
        try check(archive_write_set_bytes_per_block(archive, 65536), "set the block size")
        try check(archive_write_set_bytes_in_last_block(archive, 1), "set the last block")
        let context = Unmanaged.passRetained(sink).toOpaque()
        // On success libarchive calls zipClose then zipFree (which releases the box) when the
        // archive is closed or freed; on failure it calls zipFree too.
        try check(archive_write_open2(archive, context, nil, zipWrite, zipClose, zipFree), "open the stream")
    }

    deinit {
        // Frees without writing the central directory when close() was never reached.
        archive_write_free(archive)
    }

    /// Starts an entry. `size`: its exact length when known (no ZIP64 field below 4 GiB);
    /// nil: streamed, any length. `compress`: deflate (text) or store (PDFs and images, which
    /// are compressed already).
    public func beginEntry(name: String, modified: Date, size: Int64? = nil, compress: Bool = true) throws(ZIPError) {
        guard !closed else { throw ZIPError("the ZIP is already finished") }
        if entryOpen { try finishEntry() }
        try check(compress ? archive_write_zip_set_compression_deflate(archive) : archive_write_zip_set_compression_store(archive),
                  "choose the compression")
        guard let entry = archive_entry_new() else { throw ZIPError("libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_filetype(entry, carchive_regular_file())
        archive_entry_set_perm(entry, 0o644)
        let seconds = modified.timeIntervalSince1970.rounded(.down)
        archive_entry_set_mtime(entry, time_t(seconds), 0)
        if let size { archive_entry_set_size(entry, size) } else { archive_entry_unset_size(entry) }
        try check(archive_write_header(archive, entry), "write the header of \(name)")
        entryOpen = true
        remaining = size
    }

    /// Appends bytes to the open entry.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(ZIPError) {
        guard entryOpen else { throw ZIPError("no entry is open") }
        if let remaining {
            guard Int64(bytes.count) <= remaining else { throw ZIPError("more bytes than the entry's size") }
            self.remaining = remaining - Int64(bytes.count)
        }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(archive, base + offset, bytes.count - offset)
            guard written > 0 else { throw ZIPError("write data: \(message)") }
            offset += written
        }
    }

    public func write(_ bytes: [UInt8]) throws(ZIPError) {
        let result: Result<Void, ZIPError> = bytes.withUnsafeBytes { raw in Result { () throws(ZIPError) in try write(raw) } }
        try result.get()
    }

    /// Ends the open entry (its data descriptor); also done by the next beginEntry or finish.
    public func finishEntry() throws(ZIPError) {
        guard entryOpen else { return }
        entryOpen = false
        if let remaining, remaining != 0 { throw ZIPError("the entry is \(remaining) bytes short of its size") }
        try check(archive_write_finish_entry(archive), "finish the entry")
    }

    /// Writes the central directory; the rest of the bytes are then in ``takeOutput()``.
    public func finish() throws(ZIPError) {
        guard !closed else { return }
        try finishEntry()
        closed = true
        try check(archive_write_close(archive), "close the ZIP")
    }

    /// The bytes made since the last call, handed over (the writer keeps none).
    public func takeOutput() -> [UInt8] {
        sink.take()
    }

    private var message: String {
        archive_error_string(archive).map { String(cString: $0) } ?? "error \(archive_errno(archive))"
    }

    private func check(_ status: Int32, _ what: String) throws(ZIPError) {
        // ARCHIVE_OK 0, ARCHIVE_WARN -20: the rest are failures.
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw ZIPError("\(what): \(message)")
        }
    }
}

/// A ZIP that could not be written, and why.
public struct ZIPError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Where libarchive's write callback puts the bytes. Touched only from the writer's thread
/// (libarchive calls back synchronously from inside the writer's calls).
final class ZIPOutput {
    var buffer: [UInt8] = []
    var total: Int64 = 0

    func take() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }
}

// libarchive's callbacks: global functions (its callback types are C function types).

private func zipWrite(_ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ bytes: UnsafeRawPointer?,
                      _ length: Int) -> Int {
    guard let context else { return -1 }
    let output = Unmanaged<ZIPOutput>.fromOpaque(context).takeUnretainedValue()
    if let bytes, length > 0 {
        output.buffer.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: length))
        output.total += Int64(length)
    }
    return length
}

private func zipClose(_ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?) -> Int32 {
    ARCHIVE_OK
}

private func zipFree(_ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?) -> Int32 {
    if let context { Unmanaged<ZIPOutput>.fromOpaque(context).release() }
    return ARCHIVE_OK
}
