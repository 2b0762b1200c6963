public import RPC
public import Storage
internal import Messages

/// `certportal.feed.v1.Feed` over a service's FeedLog: the whole history from any
/// sequence, then (when asked to follow) new events within milliseconds of their commit.
public struct FeedService: RPCService {
    typealias Service = Certportal_Feed_V1_Feed

    let pool: DatabasePool
    let notifier: FeedNotifier
    /// Events per batch when the request names none, and the most it may name.
    let defaultBatch = 1_000
    let maxBatch = 10_000
    /// How often a follower with nothing new hears from the server (a batch with no
    /// events but the head), so it knows the call is alive.
    let heartbeat: Duration

    public init(pool: DatabasePool, notifier: FeedNotifier, heartbeat: Duration = .seconds(10)) {
        self.pool = pool
        self.notifier = notifier
        self.heartbeat = heartbeat
    }

    public func register(into router: inout RPCRouter) {
        router.unary(Service.head) { _, _ in
            let (head, feedId) = try await pool.read { db in (try FeedLog.head(in: db), try FeedLog.feedID(in: db)) }
            var response = Certportal_Feed_V1_HeadResponse()
            response.headSeq = head
            response.feedId = feedId
            return response
        }
        router.serverStreaming(Service.subscribe) { request, writer, _ in
            let limit = request.maxBatch == 0 ? defaultBatch : min(Int(request.maxBatch), maxBatch)
            var after = request.afterSeq
            while !Task.isCancelled {
                let from = after
                let batch = try await pool.read { db in
                    var batch = Certportal_Feed_V1_EventBatch()
                    batch.events = try FeedLog.events(after: from, limit: limit, in: db)
                    batch.headSeq = try FeedLog.head(in: db)
                    batch.feedId = try FeedLog.feedID(in: db)
                    return batch
                }
                if let last = batch.events.last { after = last.seq }
                if !batch.events.isEmpty || !request.follow {
                    try await writer.write(batch)
                }
                if batch.events.count == limit { continue }
                guard request.follow else { return }
                if batch.events.isEmpty {
                    await notifier.wait(after: after, timeout: heartbeat)
                    if notifier.head <= after && !Task.isCancelled { try await writer.write(batch) }
                } else {
                    await notifier.wait(after: after, timeout: heartbeat)
                }
            }
        }
    }
}
