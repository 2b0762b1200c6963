// catalog-service [--port N] [--data DIR] [--mesh-token T] [--host H] [--grace-ms N]
// Organisations, contacts, bookers, courses, schedules, bookings, attendees and accounts,
// with their change feed. Its database: DIR/catalog.sqlite.
import Catalog
import ChangeFeed
import ServiceRuntime

let command = ServiceCommand(name: "catalog-service")
do {
    let store = try await CatalogStore.open(path: command.dataFile("catalog.sqlite"))
    await command.serve([CatalogService(store: store), FeedService(pool: store.pool, notifier: store.notifier)])
} catch {
    ServiceCommand.exit(command.name, "cannot open the catalog: \(error)", status: 1)
}
