// gateway --catalog HOST:PORT --stats HOST:PORT [--port N] [--host H] [--data DIR]
//         [--today YYYY-MM-DD] [--mesh-token T] [--web DIR] [--secure-cookies]
// The portal's pages and JSON API over HTTP (libmicrohttpd); keeps nothing durable.
import Gateway
import ServiceRuntime

await GatewayCommand.run()
