import Messages
import Testing

@Suite("Service descriptors")
struct ServiceDescriptorTests {
    @Test("TestService: shapes from the stream keywords, idempotency from the option")
    func testService() {
        typealias Service = Certportal_Testing_V1_TestService
        let expected: [(MethodInfo, MethodInfo)] = [
            (Service.emptyCall.info, MethodInfo(name: "EmptyCall", shape: .unary, idempotent: true,
                                                path: "/certportal.testing.v1.TestService/EmptyCall")),
            (Service.unaryCall.info, MethodInfo(name: "UnaryCall", shape: .unary, idempotent: true,
                                                path: "/certportal.testing.v1.TestService/UnaryCall")),
            (Service.streamingOutputCall.info,
             MethodInfo(name: "StreamingOutputCall", shape: .serverStreaming, idempotent: false,
                        path: "/certportal.testing.v1.TestService/StreamingOutputCall")),
            (Service.streamingInputCall.info,
             MethodInfo(name: "StreamingInputCall", shape: .clientStreaming, idempotent: false,
                        path: "/certportal.testing.v1.TestService/StreamingInputCall")),
            (Service.fullDuplexCall.info,
             MethodInfo(name: "FullDuplexCall", shape: .bidirectional, idempotent: false,
                        path: "/certportal.testing.v1.TestService/FullDuplexCall")),
            (Service.halfDuplexCall.info,
             MethodInfo(name: "HalfDuplexCall", shape: .bidirectional, idempotent: false,
                        path: "/certportal.testing.v1.TestService/HalfDuplexCall")),
            (Service.unimplementedCall.info,
             MethodInfo(name: "UnimplementedCall", shape: .unary, idempotent: false,
                        path: "/certportal.testing.v1.TestService/UnimplementedCall")),
        ]
        for (generated, wanted) in expected {
            #expect(generated == wanted)
        }
        #expect(Service.descriptor.name == "certportal.testing.v1.TestService")
        #expect(Service.descriptor.protoFile == "certportal/testing/v1/test.proto")
        #expect(Service.descriptor.methods == expected.map(\.1))
    }

    @Test("method descriptors carry their message types")
    func typedMethods() {
        let unary: MethodDescriptor<Certportal_Testing_V1_SimpleRequest, Certportal_Testing_V1_SimpleResponse>
            = Certportal_Testing_V1_TestService.unaryCall
        #expect(unary.service == "certportal.testing.v1.TestService")
        #expect(unary.method == "UnaryCall")
        #expect(unary.path == "/certportal.testing.v1.TestService/UnaryCall")

        let check: MethodDescriptor<Certportal_Health_V1_HealthCheckRequest, Certportal_Health_V1_HealthCheckResponse>
            = Certportal_Health_V1_Health.check
        #expect(check.path == "/certportal.health.v1.Health/Check")
        #expect(check.shape == .unary)
        #expect(check.idempotent)

        let list: MethodDescriptor<Certportal_Reflection_V1_ListServicesRequest,
                                   Certportal_Reflection_V1_ListServicesResponse>
            = Certportal_Reflection_V1_Reflection.listServices
        #expect(list.path == "/certportal.reflection.v1.Reflection/ListServices")
        #expect(list.idempotent)
    }

    @Test("ProtoRegistry lists every service, sorted, with its file")
    func registry() {
        #expect(ProtoRegistry.services.map(\.name) == [
            "certportal.catalog.v1.Catalog",
            "certportal.certificates.v1.Certificates",
            "certportal.export.v1.Exports",
            "certportal.export.v1.Mail",
            "certportal.feed.v1.Feed",
            "certportal.health.v1.Health",
            "certportal.reflection.v1.Reflection",
            "certportal.stats.v1.Stats",
            "certportal.testing.v1.TestService",
            "certportal.testing.v1.UnimplementedService",
        ])
        #expect(ProtoRegistry.services.map(\.protoFile) == [
            "certportal/catalog/v1/catalog.proto",
            "certportal/certificates/v1/certificates.proto",
            "certportal/export/v1/export.proto",
            "certportal/export/v1/mail.proto",
            "certportal/feed/v1/feed.proto",
            "certportal/health/v1/health.proto",
            "certportal/reflection/v1/reflection.proto",
            "certportal/stats/v1/stats.proto",
            "certportal/testing/v1/test.proto",
            "certportal/testing/v1/test.proto",
        ])
        // Idempotency from the protos decides which calls the client retries.
        #expect(Certportal_Feed_V1_Feed.subscribe.idempotent)
        #expect(Certportal_Stats_V1_Stats.listRecords.idempotent)
        #expect(!Certportal_Catalog_V1_Catalog.importRecords.idempotent)
        #expect(!Certportal_Catalog_V1_Catalog.rebook.idempotent)
        #expect(Certportal_Export_V1_Exports.recordsCSV.idempotent && Certportal_Export_V1_Exports.matrixCSV.idempotent)
        #expect(Certportal_Export_V1_Exports.certificatesZIP.shape == .serverStreaming)
        #expect(Certportal_Catalog_V1_Catalog.importRecords.path == "/certportal.catalog.v1.Catalog/ImportRecords")
        let unimplemented = Certportal_Testing_V1_UnimplementedService.descriptor
        #expect(unimplemented.methods.map(\.path) == ["/certportal.testing.v1.UnimplementedService/UnimplementedCall"])
        for service in ProtoRegistry.services {
            for method in service.methods {
                #expect(method.path == "/\(service.name)/\(method.name)")
            }
        }
    }

    @Test("ProtoRegistry lists every message type once, sorted by name")
    func registryMessages() {
        let names = ProtoRegistry.messageTypes.map { $0.protoMessageName }
        #expect(names.count == 129)
        #expect(names == names.sorted())
        #expect(Set(names).count == names.count)
        #expect(names.contains("certportal.rpc.v1.Frame"))
        #expect(names.contains("certportal.health.v1.HealthCheckResponse"))
    }
}
