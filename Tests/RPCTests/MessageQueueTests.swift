import Testing
@testable import RPC

@Suite struct MessageQueueTests {
    final class Message: Sendable {}

    @Test func aTakenElementIsReleasedWhileOthersWait() async throws {
        let queue = MessageQueue<Message>(byteLimit: 1 << 20)
        weak var first: Message?
        do {
            let message = Message()
            first = message
            queue.push(message, size: 100)
        }
        queue.push(Message(), size: 100)
        let taken = try await queue.next()
        #expect(taken === first)
        _ = consume taken
        // The second is still queued: the queue must not keep the first alive until it empties.
        #expect(first == nil)
        #expect(try await queue.next() != nil)
        queue.finish()
        #expect(try await queue.next() == nil)
    }
}
