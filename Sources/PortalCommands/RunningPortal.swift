internal import Flags
internal import RPC
internal import Messages
internal import ServiceRuntime
internal import Records
internal import Foundation

/// How a command reaches the portal running on a data directory: catalog-service's address
/// in `DIR/run/catalog-service.address` (written by the service) and the mesh token
/// `certportal up` keeps in `DIR/run/mesh-token`.
struct RunningPortal {
    let dataDirectory: String

    /// `--data`, else `$CERTPORTAL_DATA`, else `./certportal-data`.
    init(_ arguments: CommandLineArguments) {
        dataDirectory = arguments.string("--data") ?? ProcessInfo.processInfo.environment["CERTPORTAL_DATA"] ?? "./certportal-data"
    }

    init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// `DIR/run/<file>`: where `certportal up` and the services keep what commands look up.
    func runFile(_ file: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("run/\(file)")
    }

    /// catalog-service's address: `flag` (HOST:PORT) when given, else the address file.
    func catalogAddress(_ flag: String?) throws -> (host: String, port: Int) {
        let file = ServiceCommand.addressFile(dataDirectory: dataDirectory, service: "catalog-service")
        let text: String
        if let flag {
            text = flag
        } else {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw PortalNotRunning(dataDirectory: dataDirectory, detail: "no catalog-service address in \(file); or pass --catalog HOST:PORT")
            }
            text = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw CommandLineArguments.Failure(description: "catalog address must be HOST:PORT; found \"\(text)\"")
        }
        return (String(text[..<colon]), port)
    }

    /// The mesh token `certportal up` keeps in the data directory, if any.
    var meshToken: String? {
        (try? String(contentsOfFile: runFile("mesh-token"), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A client of catalog-service from `--catalog` and `--mesh-token` (or
    /// `CERTPORTAL_MESH_TOKEN`, else the data directory's token). `compress`: deflate
    /// requests (costs more CPU than it saves on loopback; worth it across a slow network).
    func catalogClient(_ arguments: CommandLineArguments, timeout: Duration, compress: Bool = false) throws -> RPCClient {
        let address = try catalogAddress(arguments.string("--catalog"))
        var configuration = RPCClientConfiguration(host: address.host, port: address.port)
        configuration.meshToken = arguments.string("--mesh-token") ?? ProcessInfo.processInfo.environment["CERTPORTAL_MESH_TOKEN"] ?? meshToken
        configuration.defaultTimeout = timeout
        configuration.compressRequests = compress
        return RPCClient(configuration: configuration)
    }
}

/// No catalog-service address on the data directory: the portal is not running there.
struct PortalNotRunning: Error, CustomStringConvertible {
    let dataDirectory: String
    let detail: String
    var description: String { "start the portal first: certportal up --data \(dataDirectory) (\(detail))" }
}

/// The catalog calls commands make, as the admin principal.
enum CatalogCalls {
    static var adminOptions: CallOptions {
        var options = CallOptions()
        options.metadata[MetadataKey.principal] = "admin"
        return options
    }

    /// Streams a records-import file, chunk by chunk from `nextChunk` (nil: the end), and
    /// returns the catalog's verdict.
    static func importRecords(_ client: RPCClient, afterLastChunk: () -> Void = {},
                              nextChunk: () async throws -> [UInt8]?) async throws -> Certportal_Catalog_V1_ImportResult {
        try await client.clientStreaming(Certportal_Catalog_V1_Catalog.importRecords, options: adminOptions) { writer in
            while let chunk = try await nextChunk(), !chunk.isEmpty {
                var message = Certportal_Catalog_V1_ImportChunk()
                message.data = chunk
                try await writer.write(message)
            }
            afterLastChunk()
        }.message
    }

    /// Creates or updates a login; an empty password keeps the current one.
    static func putAccount(_ client: RPCClient, _ account: Certportal_Catalog_V1_Account, password: String) async throws -> Certportal_Catalog_V1_AccountResponse {
        var request = Certportal_Catalog_V1_PutAccountRequest()
        request.account = account
        request.password = password
        return try await client.unary(Certportal_Catalog_V1_Catalog.putAccount, request, options: adminOptions)
    }
}

extension Certportal_Catalog_V1_Account {
    init(email: String, role: String, organisationID: String = "", bookerID: String = "") {
        self.init()
        self.email = email
        self.role = role
        self.organisationId = organisationID
        self.bookerId = bookerID
    }
}

/// `--today`, else `$CERTPORTAL_TODAY`, else the date in the provider's time zone
/// (`$CERTPORTAL_TIME_ZONE`, default Europe/London).
enum TodayOption {
    static func resolve(_ arguments: CommandLineArguments) throws -> CalendarDate {
        let environment = ProcessInfo.processInfo.environment
        if let text = arguments.string("--today") ?? environment["CERTPORTAL_TODAY"], !text.isEmpty {
            guard let date = CalendarDate(iso: text) else {
                throw CommandLineArguments.Failure(description: "--today: must be a date such as 2026-03-02; found \"\(text)\"")
            }
            return date
        }
        let zone = environment["CERTPORTAL_TIME_ZONE"].flatMap { TimeZone(identifier: $0) } ?? TimeZone(identifier: "Europe/London")!
        return CalendarDate(Date(), in: zone)
    }
}
