public import Testing
public import RPC

// Test support shared by the RPC test targets (never linked into a product).

/// Runs `body`, expecting it to fail with an `RPCError` of `code`; returns the error for
/// further checks, or nil after recording why the expectation failed.
@discardableResult
public func expectRPCError<T>(_ code: RPCStatusCode, _ body: () async throws -> T,
                              sourceLocation: SourceLocation = #_sourceLocation) async -> RPCError? {
    do {
        _ = try await body()
        Issue.record("expected \(code); the call succeeded", sourceLocation: sourceLocation)
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected RPCError \(code); got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
