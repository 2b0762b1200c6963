import Messages

/// One message of every generated type, with every field set to something other than its
/// default: Unicode, NUL bytes, extreme and negative numbers.
enum Samples {
    static let metadata = {
        var m = Certportal_Rpc_V1_Metadata()
        m.key = "cp-principal"
        m.value = "booker:Zoë 李雷 محمد 🎓"
        return m
    }()

    static let headers = {
        var h = Certportal_Rpc_V1_Headers()
        h.method = "/certportal.health.v1.Health/Check"
        h.timeoutMs = UInt64.max
        var second = Certportal_Rpc_V1_Metadata()
        second.key = "cp-request-id"
        second.value = ""
        h.metadata = [metadata, second, metadata]
        return h
    }()

    static let trailers = {
        var t = Certportal_Rpc_V1_Trailers()
        t.code = UInt32.max
        t.message = "محمد: not found"
        t.metadata = [metadata]
        return t
    }()

    static let ping = {
        var p = Certportal_Rpc_V1_Ping()
        p.opaque = UInt64.max
        p.ack = true
        return p
    }()

    static let goAway = {
        var g = Certportal_Rpc_V1_GoAway()
        g.lastCallId = 1 << 40
        g.reason = "draining: 李雷"
        return g
    }()

    static let frame = {
        var f = Certportal_Rpc_V1_Frame()
        f.callId = UInt64.max - 1
        f.kind = .headers(headers)
        return f
    }()

    static let payload = {
        var p = Certportal_Testing_V1_Payload()
        p.body = [0, 0xFF, 0, 1, 0x80, 0]
        return p
    }()

    static let echoStatus = {
        var e = Certportal_Testing_V1_EchoStatus()
        e.code = Int32.min
        e.message = "Zoë\n\t\"quoted\""
        return e
    }()

    static let simpleRequest = {
        var r = Certportal_Testing_V1_SimpleRequest()
        r.responseSize = -1
        r.payload = payload
        r.responseStatus = echoStatus
        return r
    }()

    static let simpleResponse = {
        var r = Certportal_Testing_V1_SimpleResponse()
        r.payload = payload
        return r
    }()

    static let streamingInputCallRequest = {
        var r = Certportal_Testing_V1_StreamingInputCallRequest()
        r.payload = payload
        return r
    }()

    static let streamingInputCallResponse = {
        var r = Certportal_Testing_V1_StreamingInputCallResponse()
        r.aggregatedPayloadSize = Int32.max
        return r
    }()

    static let responseParameters = {
        var p = Certportal_Testing_V1_ResponseParameters()
        p.size = 31415
        p.intervalUs = -7
        return p
    }()

    static let streamingOutputCallRequest = {
        var r = Certportal_Testing_V1_StreamingOutputCallRequest()
        var second = Certportal_Testing_V1_ResponseParameters()
        second.size = 9
        r.responseParameters = [responseParameters, second, Certportal_Testing_V1_ResponseParameters()]
        r.payload = payload
        r.responseStatus = echoStatus
        return r
    }()

    static let streamingOutputCallResponse = {
        var r = Certportal_Testing_V1_StreamingOutputCallResponse()
        r.payload = Certportal_Testing_V1_Payload()  // present but empty
        return r
    }()

    static let healthCheckRequest = {
        var r = Certportal_Health_V1_HealthCheckRequest()
        r.service = "certportal.testing.v1.TestService"
        return r
    }()

    static let healthCheckResponse = {
        var r = Certportal_Health_V1_HealthCheckResponse()
        r.status = .notServing
        return r
    }()

    static let serviceInfo = {
        var s = Certportal_Reflection_V1_ServiceInfo()
        s.name = "certportal.health.v1.Health"
        s.methods = ["Check", "", "李雷"]
        s.protoFile = "certportal/health/v1/health.proto"
        return s
    }()

    static let listServicesResponse = {
        var r = Certportal_Reflection_V1_ListServicesResponse()
        r.services = [serviceInfo, Certportal_Reflection_V1_ServiceInfo()]
        return r
    }()

    /// Types without fields: their only value is the default.
    static let fieldless: Set<String> = Set([
        Certportal_Rpc_V1_HalfClose.protoMessageName,
        Certportal_Rpc_V1_Cancel.protoMessageName,
        Certportal_Testing_V1_Empty.protoMessageName,
        Certportal_Reflection_V1_ListServicesRequest.protoMessageName,
    ]).union(serviceFieldless).union(mailFieldless)

    static let all: [any ProtoMessage] = [
        metadata, headers, trailers, Certportal_Rpc_V1_HalfClose(), Certportal_Rpc_V1_Cancel(),
        ping, goAway, frame,
        Certportal_Testing_V1_Empty(), payload, echoStatus, simpleRequest, simpleResponse,
        streamingInputCallRequest, streamingInputCallResponse, responseParameters,
        streamingOutputCallRequest, streamingOutputCallResponse,
        healthCheckRequest, healthCheckResponse,
        Certportal_Reflection_V1_ListServicesRequest(), serviceInfo, listServicesResponse,
    ] + serviceMessages + certificatesMessages + exportMessages + mailMessages

    /// Every case of Frame's oneof, including cases whose payload is all defaults (the
    /// case itself must survive).
    static let frameKinds: [Certportal_Rpc_V1_Frame.Kind?] = [
        nil,
        .headers(headers),
        .headers(Certportal_Rpc_V1_Headers()),
        .message([0, 1, 2, 0, 0xFF]),
        .message([]),
        .trailers(trailers),
        .halfClose(Certportal_Rpc_V1_HalfClose()),
        .cancel(Certportal_Rpc_V1_Cancel()),
        .ping(ping),
        .ping(Certportal_Rpc_V1_Ping()),
        .goAway(goAway),
    ]
}
