public import Testing
public import RPC

// Test support shared by the RPC test targets (never linked into a product).

/// Runs `body`, expecting it to fail with an `RPCError` of `code`; returns the error for
/// further checks, or nil after recording why the expectation failed. `note` says which
/// case failed, for calls made in a loop.
@discardableResult
public func expectRPCError<T>(_ code: RPCStatusCode, _ note: String = "", _ body: () async throws -> T,
                              sourceLocation: SourceLocation = #_sourceLocation) async -> RPCError? {
    let prefix = note.isEmpty ? "" : "\(note): "
    do {
        _ = try await body()
        Issue.record("\(prefix)expected \(code); the call succeeded", sourceLocation: sourceLocation)
    } catch let error as RPCError {
        #expect(error.code == code, "\(prefix)\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("\(prefix)expected RPCError \(code); got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
