internal import Synchronization

/// The stats bar of recent filters, each kept with the read model's version it was counted at.
/// Counting is the expensive part of a page (every record in the filter); the page itself
/// is a short index walk. An entry answers only while the read model is still at the
/// version it was counted at, so it is never stale: any applied batch makes it miss.
final class SummaryCache: Sendable {
    /// `ReadModel.version` when the count was made.
    typealias Positions = UInt64
    private struct Entry {
        var positions: Positions
        var summary: StatusSummary
    }
    private let entries = Mutex<[String: Entry]>([:])
    let capacity: Int

    init(capacity: Int = 512) { self.capacity = capacity }

    /// The summary for `key` counted at exactly `positions`, if any.
    func summary(_ key: String, at positions: Positions) -> StatusSummary? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.positions == positions else { return nil }
            return entry.summary
        }
    }

    /// Keeps a summary counted on a snapshot taken after the read model reached `positions`.
    func store(_ summary: StatusSummary, for key: String, at positions: Positions) {
        entries.withLock { entries in
            // Entries of older positions can never answer again: drop them all at once.
            if entries.count >= capacity { entries = entries.filter { $0.value.positions == positions } }
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = Entry(positions: positions, summary: summary)
        }
    }
}
