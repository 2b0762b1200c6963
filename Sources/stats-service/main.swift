// stats-service --catalog HOST:PORT [--certificates HOST:PORT] [--port N] [--data DIR]
//               [--today YYYY-MM-DD] [--time-zone TZ] [--horizon-days N] [--mesh-token T]
//               [--compress-feeds] [--no-answer-cache]
// The read model joined from the feeds (DIR/stats.sqlite; delete it to rebuild) and the
// stats bar, records table, training matrix and forecast over it.
import Foundation
import Records
import Stats
import ServiceRuntime

let command = ServiceCommand(name: "stats-service", ownFlags: ["--catalog", "--certificates", "--time-zone", "--horizon-days"],
                             booleanFlags: ["--compress-feeds", "--no-answer-cache"])
// The feeds carry hundreds of megabytes in a rebuild: deflating them costs both sides more
// CPU than the bytes cost on loopback or a cluster network. --compress-feeds for slow links.
let compressFeeds = command.arguments.flag("--compress-feeds")
guard let catalog = command.client("--catalog", compressed: compressFeeds) else {
    ServiceCommand.exit(command.name, "--catalog HOST:PORT is required (catalog-service's address)", status: 2)
}
var clock = command.statusClock()
if let days = try? command.arguments.integer("--horizon-days") {
    guard days > 0 else { ServiceCommand.exit(command.name, "--horizon-days: must be a positive number of days", status: 2) }
    clock.horizon = .rollingDays(days)
}
do {
    let model = try await ReadModel.open(path: command.dataFile("stats.sqlite"))
    var followers = [FeedFollower(feed: .catalog, client: catalog, model: model)]
    if let certificates = command.client("--certificates", compressed: compressFeeds) {
        followers.append(FeedFollower(feed: .certificates, client: certificates, model: model))
    }
    for follower in followers {
        var follower = follower
        follower.log = { message in command.log(message) }
        let running = follower
        Task { await running.run() }
    }
    await command.serve([StatsService(queries: StatsQueries(model: model, clock: clock,
                                                           cachingAnswers: !command.arguments.flag("--no-answer-cache")))])
} catch {
    ServiceCommand.exit(command.name, "cannot open the read model: \(error)", status: 1)
}
