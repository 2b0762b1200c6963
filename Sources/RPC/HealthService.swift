public import Messages
internal import Synchronization

/// `certportal.health.v1.Health`: SERVING while the server runs, NOT_SERVING while it
/// starts or drains; services may report their own status by name.
public final class HealthService: RPCService {
    public typealias Status = Certportal_Health_V1_HealthCheckResponse.ServingStatus
    static let name = "certportal.health.v1.Health"

    private struct State {
        var serving = false
        var services: [String: Status] = [:]
    }

    private let state = Mutex(State())

    init() {}

    func setServing(_ serving: Bool) {
        state.withLock { $0.serving = serving }
    }

    /// Sets the status reported for one named service.
    public func setStatus(_ status: Status, for service: String) {
        state.withLock { $0.services[service] = status }
    }

    public func status(of service: String) -> Status {
        state.withLock { state in
            guard state.serving else { return .notServing }
            if service.isEmpty { return .serving }
            return state.services[service] ?? .serviceUnknown
        }
    }

    public func register(into router: inout RPCRouter) {
        router.unary(Certportal_Health_V1_Health.check) { [self] request, _ in
            var response = Certportal_Health_V1_HealthCheckResponse()
            response.status = status(of: request.service)
            return response
        }
    }
}

/// `certportal.reflection.v1.Reflection`: the services and methods this server serves.
struct ReflectionService: RPCService {
    static let name = "certportal.reflection.v1.Reflection"
    static let methods = ["ListServices"]
    let services: [(name: String, methods: [String])]

    func register(into router: inout RPCRouter) {
        let response = listing()
        router.unary(Certportal_Reflection_V1_Reflection.listServices) { _, _ in response }
    }

    private func listing() -> Certportal_Reflection_V1_ListServicesResponse {
        var response = Certportal_Reflection_V1_ListServicesResponse()
        response.services = services.sorted { $0.name < $1.name }.map { service in
            var info = Certportal_Reflection_V1_ServiceInfo()
            info.name = service.name
            info.methods = service.methods.sorted()
            info.protoFile = ProtoRegistry.services.first { $0.name == service.name }?.protoFile ?? ""
            return info
        }
        return response
    }
}
