internal import Synchronization

/// Answers of recent queries (stats bars, pages), each kept with the read model's version
/// it was computed at. Counting is the expensive part of a page (every record in the
/// filter), and a portal's users mostly open the same views. An entry answers only while
/// the read model is still at the version it was computed at, so it is never stale: any
/// applied batch makes it miss.
final class AnswerCache<Answer: Sendable>: Sendable {
    /// `ReadModel.version` when the count was made.
    typealias Positions = UInt64
    private struct Entry {
        var positions: Positions
        var answer: Answer
    }
    private let entries = Mutex<[String: Entry]>([:])
    let capacity: Int

    /// `capacity` 0: keeps nothing (to measure the queries themselves).
    init(capacity: Int = 512) { self.capacity = capacity }

    /// The answer for `key` computed at exactly `positions`, if any.
    func answer(_ key: String, at positions: Positions) -> Answer? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.positions == positions else { return nil }
            return entry.answer
        }
    }

    /// Keeps an answer computed on a snapshot taken after the read model reached `positions`.
    func store(_ answer: Answer, for key: String, at positions: Positions) {
        guard capacity > 0 else { return }
        entries.withLock { entries in
            // Entries of older positions can never answer again: drop them all at once.
            if entries.count >= capacity { entries = entries.filter { $0.value.positions == positions } }
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = Entry(positions: positions, answer: answer)
        }
    }
}
