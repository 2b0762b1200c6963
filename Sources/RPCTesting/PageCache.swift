import Foundation
import Testing

/// How many of the first `bytes` of the file at `path` are in the page cache, in pages
/// (mincore over a mapping of them): for tests of files written past the cache or read
/// into it.
public func residentPages(_ path: String, bytes: Int) throws -> Int {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    try #require(descriptor >= 0, "cannot open \(path)")
    defer { close(descriptor) }
    let mapped = mmap(nil, bytes, PROT_READ, MAP_SHARED, descriptor, 0)
    try #require(mapped != MAP_FAILED, "cannot map \(path)")
    defer { munmap(mapped, bytes) }
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    var vector = [UInt8](repeating: 0, count: (bytes + pageSize - 1) / pageSize)
    try #require(mincore(mapped, bytes, &vector) == 0)
    return vector.filter { $0 & 1 != 0 }.count
}

/// Whether every page of the first `bytes` of the file comes into memory within 5 s (a
/// generous deadline, only to end the wait: not a timing test).
public func becomesResident(_ path: String, bytes: Int) async throws -> Bool {
    let pages = (bytes + Int(sysconf(Int32(_SC_PAGESIZE))) - 1) / Int(sysconf(Int32(_SC_PAGESIZE)))
    for _ in 0..<100 {
        if try residentPages(path, bytes: bytes) == pages { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
