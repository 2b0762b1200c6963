public import Flags
internal import RPC
internal import Messages
internal import Foundation

/// `certportal user add EMAIL --role admin|orgrep|booker [--organisation ID] [--booker ID]
/// --password-stdin [--data DIR]`: creates or updates a login through the catalog-service
/// running on that data directory.
public enum UserCommand {
    public static let usage = """
        usage: certportal user add EMAIL --role admin|orgrep|booker [--organisation ID] [--booker ID] --password-stdin [--data DIR]
          EMAIL             the login (an e-mail address); an existing one is updated
          --role            admin (sees everything), orgrep (one organisation) or booker (their own bookings)
          --organisation    the org rep's organisation id, as in the import file (orgrep only)
          --booker          the booker's id, as in the import file (booker only)
          --password-stdin  reads the password from the first line of standard input
          --data            the data directory of the running portal (default $CERTPORTAL_DATA, else ./certportal-data)
        example: printf '%s\\n' "$PASSWORD" | certportal user add rep@acme.example --role orgrep --organisation ORG-0002 --password-stdin
        """

    public static func run(_ arguments: CommandLineArguments) async -> Int32 {
        let account: Certportal_Catalog_V1_Account
        do {
            try arguments.rejectUnknown(known: ["--role", "--organisation", "--booker", "--password-stdin", "--data", "--catalog", "--mesh-token"])
            account = try validate(arguments)
        } catch {
            return fail("\(error)\n\(usage)", status: 2)
        }
        guard let password = await readPasswordLine(), !password.isEmpty else {
            return fail("--password-stdin: the password on standard input is empty", status: 2)
        }
        let portal = RunningPortal(arguments)
        do {
            let client = try portal.catalogClient(arguments, timeout: .seconds(60))
            defer { client.close() }
            let response = try await CatalogCalls.putAccount(client, account, password: password)
            let stored = response.account ?? account
            var scope = ""
            if !stored.organisationId.isEmpty { scope += ", organisation \(stored.organisationId)" }
            if !stored.bookerId.isEmpty { scope += ", booker \(stored.bookerId)" }
            print("user \(stored.email): role \(stored.role)\(scope) (principal \(response.principal))")
            return 0
        } catch let error as RPCError where error.code == .unavailable {
            return fail("catalog-service is not reachable (\(error.message)); start the portal first: certportal up --data \(portal.dataDirectory)", status: 1)
        } catch let error as RPCError {
            return fail(error.message, status: error.code == .invalidArgument ? 2 : 1)
        } catch {
            return fail("\(error)", status: 1)
        }
    }

    /// The account the flags describe; a failure names the flag and the reason.
    static func validate(_ arguments: CommandLineArguments) throws -> Certportal_Catalog_V1_Account {
        guard arguments.positional.count == 3, arguments.positional[1] == "add" else {
            throw CommandLineArguments.Failure(description: "expected: certportal user add EMAIL …")
        }
        let email = arguments.positional[2]
        guard looksLikeEmail(email) else {
            throw CommandLineArguments.Failure(description: "EMAIL: must be an e-mail address such as name@example.com; found \"\(email)\"")
        }
        guard let role = arguments.string("--role") else {
            throw CommandLineArguments.Failure(description: "--role: required: admin, orgrep or booker")
        }
        let organisation = arguments.string("--organisation")
        let booker = arguments.string("--booker")
        switch role {
        case "admin", "orgrep", "booker": break
        default: throw CommandLineArguments.Failure(description: "--role: must be admin, orgrep or booker; found \"\(role)\"")
        }
        if role == "orgrep", organisation?.isEmpty ?? true {
            throw CommandLineArguments.Failure(description: "--organisation: required with --role orgrep (the organisation's id, as in the import file)")
        }
        if role == "booker", booker?.isEmpty ?? true {
            throw CommandLineArguments.Failure(description: "--booker: required with --role booker (the booker's id, as in the import file)")
        }
        if role != "orgrep", organisation != nil {
            throw CommandLineArguments.Failure(description: "--organisation: only with --role orgrep")
        }
        if role != "booker", booker != nil {
            throw CommandLineArguments.Failure(description: "--booker: only with --role booker")
        }
        guard arguments.flag("--password-stdin") else {
            throw CommandLineArguments.Failure(description: "--password-stdin: required: the password is read from standard input, never from the command line")
        }
        return Certportal_Catalog_V1_Account(email: email, role: role, organisationID: organisation ?? "", bookerID: booker ?? "")
    }

    /// One `@`, something before it, a dot in the domain, no spaces: the catalog checks more.
    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        let domain = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return domain.count >= 2 && domain.allSatisfy { !$0.isEmpty }
    }

    /// The first line of standard input without its line ending, read on a thread of its own.
    static func readPasswordLine() async -> String? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: readLine(strippingNewline: true).map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }) }.start()
        }
    }

    static func fail(_ message: String, status: Int32) -> Int32 {
        FileHandle.standardError.write(Data("certportal user: \(message)\n".utf8))
        return status
    }
}
