public import RPC
internal import Messages

/// Follows one service's change feed into the read model: from the position stored with
/// the read model, batch by batch, then new events as they are written; after a failure
/// it reconnects with back-off and resumes where the last applied batch ended.
public struct FeedFollower: Sendable {
    public let feed: FeedName
    public let client: RPCClient
    public let model: ReadModel
    public var batchSize: UInt32 = 5_000
    /// Events applied in one transaction at most while catching up.
    public var maxEventsPerTransaction = 50_000
    /// Further behind than this, a follower drops the read model's indexes until it has
    /// caught up (a rebuild from nothing, or a long outage).
    public var bulkLoadThreshold: UInt64 = 20_000
    public var log: @Sendable (String) -> Void = { _ in }

    public init(feed: FeedName, client: RPCClient, model: ReadModel) {
        self.feed = feed
        self.client = client
        self.model = model
    }

    /// Runs until the task is cancelled.
    public func run() async {
        var backoff: Duration = .milliseconds(100)
        var failing = false
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await follow {}
            } catch {
                // A call that lasted a while was healthy: start the back-off afresh.
                if ContinuousClock.now - started > .seconds(5) { backoff = .milliseconds(100) }
                if Task.isCancelled { return }
                if !failing { log("\(feed.rawValue) feed: \(error); retrying") }
                failing = true
            }
            if failing && ContinuousClock.now - started > .seconds(5) { failing = false }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// Reads the feed to its head and applies it, once (for rebuilds and tests).
    public func catchUp() async throws {
        try await subscribe(follow: false) {}
    }

    private func follow(onBatch: @escaping @Sendable () -> Void) async throws {
        try await subscribe(follow: true, onBatch: onBatch)
    }

    private func subscribe(follow: Bool, onBatch: @escaping @Sendable () -> Void) async throws {
        let (feedID, seq) = try await model.position(feed)
        var request = Certportal_Feed_V1_SubscribeRequest()
        request.afterSeq = seq
        request.maxBatch = batchSize
        request.follow = follow
        var options = CallOptions()
        options.timeout = .seconds(365 * 24 * 3600)
        options.metadata[MetadataKey.principal] = Principal.admin.description
        try await client.serverStreaming(Certportal_Feed_V1_Feed.subscribe, request, options: options) { batches in
            var first = true
            // Batches that arrive while behind are applied together, up to a limit.
            var pending: [Certportal_Feed_V1_EventBatch] = []
            var pendingEvents = 0
            for try await batch in batches {
                if first && !feedID.isEmpty && batch.feedId != feedID {
                    log("\(feed.rawValue) feed: its database is new (feed id \(batch.feedId)); rebuilding from the start")
                    try await model.apply(Certportal_Feed_V1_EventBatch.emptyOf(batch.feedId), from: feed)
                    throw FeedRestart()
                }
                if first, batch.headSeq > seq + bulkLoadThreshold {
                    log("\(feed.rawValue) feed: \(batch.headSeq - seq) events behind; loading them in bulk")
                    try await model.beginBulkLoad()
                }
                first = false
                onBatch()
                guard !batch.events.isEmpty else { continue }
                pending.append(batch)
                pendingEvents += batch.events.count
                let caughtUp = (batch.events.last?.seq ?? 0) >= batch.headSeq
                if caughtUp || pendingEvents >= maxEventsPerTransaction {
                    try await model.apply(pending, from: feed)
                    pending.removeAll(keepingCapacity: true)
                    pendingEvents = 0
                }
                if caughtUp && model.bulkLoading.load(ordering: .relaxed) {
                    try await model.endBulkLoad()
                    log("\(feed.rawValue) feed: caught up at \(batch.headSeq); indexes built")
                }
            }
            if !pending.isEmpty { try await model.apply(pending, from: feed) }
        }
    }

    struct FeedRestart: Error, CustomStringConvertible {
        var description: String { "the feed was restarted from 0" }
    }
}

extension Certportal_Feed_V1_EventBatch {
    static func emptyOf(_ feedID: String) -> Self {
        var batch = Self()
        batch.feedId = feedID
        return batch
    }
}
