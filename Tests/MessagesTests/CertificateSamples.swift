import Messages

/// One message of every type of the certificates proto, every field set (see Samples).
extension Samples {
    static let certificatesTemplate = {
        var m = Certportal_Certificates_V1_Template()
        m.templateId = "templateId: Zoë 李雷 محمد 🎓"
        m.name = "name: Zoë 李雷 محمد 🎓"
        m.title = "title: Zoë 李雷 محمد 🎓"
        m.body = "body: Zoë 李雷 محمد 🎓"
        m.footer = "footer: Zoë 李雷 محمد 🎓"
        m.signatory = "signatory: Zoë 李雷 محمد 🎓"
        m.primaryColour = "primaryColour: Zoë 李雷 محمد 🎓"
        m.accentColour = "accentColour: Zoë 李雷 محمد 🎓"
        m.orientation = "orientation: Zoë 李雷 محمد 🎓"
        m.logoPng = [0, 0xFF, 0, 1, 0x80, 0]
        m.revision = UInt32.max
        m.updatedAtMs = Int64.min
        m.updatedBy = "updatedBy: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesListTemplatesRequest = {
        var m = Certportal_Certificates_V1_ListTemplatesRequest()
        return m
    }()

    static let certificatesTemplateList = {
        var m = Certportal_Certificates_V1_TemplateList()
        m.templates = [certificatesTemplate, certificatesTemplate]
        m.placeholders = ["placeholders: Zoë", "李雷 محمد 🎓"]
        return m
    }()

    static let certificatesGetTemplateRequest = {
        var m = Certportal_Certificates_V1_GetTemplateRequest()
        m.templateId = "templateId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesPutTemplateRequest = {
        var m = Certportal_Certificates_V1_PutTemplateRequest()
        m.template = certificatesTemplate
        return m
    }()

    static let certificatesPreviewTemplateRequest = {
        var m = Certportal_Certificates_V1_PreviewTemplateRequest()
        m.template = certificatesTemplate
        m.recordId = UInt64.max
        return m
    }()

    static let certificatesVersion = {
        var m = Certportal_Certificates_V1_Version()
        m.number = UInt32.max
        m.kind = "kind: Zoë 李雷 محمد 🎓"
        m.mediaType = "mediaType: Zoë 李雷 محمد 🎓"
        m.size = UInt64.max
        m.digest = "digest: Zoë 李雷 محمد 🎓"
        m.expiryDate = "expiryDate: Zoë 李雷 محمد 🎓"
        m.state = "state: Zoë 李雷 محمد 🎓"
        m.createdAtMs = Int64.min
        m.createdBy = "createdBy: Zoë 李雷 محمد 🎓"
        m.fileName = "fileName: Zoë 李雷 محمد 🎓"
        m.replaces = UInt32.max
        m.revokedReason = "revokedReason: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesCertificate = {
        var m = Certportal_Certificates_V1_Certificate()
        m.recordId = UInt64.max
        m.certificateNumber = "certificateNumber: Zoë 李雷 محمد 🎓"
        m.verificationCode = "verificationCode: Zoë 李雷 محمد 🎓"
        m.shared = true
        m.currentVersion = UInt32.max
        m.versions = [certificatesVersion, certificatesVersion]
        return m
    }()

    static let certificatesGetCertificateRequest = {
        var m = Certportal_Certificates_V1_GetCertificateRequest()
        m.recordId = UInt64.max
        return m
    }()

    static let certificatesIssueRequest = {
        var m = Certportal_Certificates_V1_IssueRequest()
        m.recordId = UInt64.max
        m.share = true
        return m
    }()

    static let certificatesCertificateWrite = {
        var m = Certportal_Certificates_V1_CertificateWrite()
        m.certificate = certificatesCertificate
        m.seq = UInt64.max
        m.emailRequestId = "emailRequestId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesIssueBatchRequest = {
        var m = Certportal_Certificates_V1_IssueBatchRequest()
        m.recordIds = [UInt64.max, 1]
        m.share = true
        return m
    }()

    static let certificatesIssueProgress = {
        var m = Certportal_Certificates_V1_IssueProgress()
        m.recordId = UInt64.max
        m.issued = true
        m.problem = "problem: Zoë 李雷 محمد 🎓"
        m.done = UInt32.max
        m.total = UInt32.max
        m.certificateNumber = "certificateNumber: Zoë 李雷 محمد 🎓"
        m.seq = UInt64.max
        return m
    }()

    static let certificatesUploadHeader = {
        var m = Certportal_Certificates_V1_UploadHeader()
        m.recordId = UInt64.max
        m.originalName = "originalName: Zoë 李雷 محمد 🎓"
        m.expiryDate = "expiryDate: Zoë 李雷 محمد 🎓"
        m.replaceVersion = UInt32.max
        m.share = true
        m.emailTo = "emailTo: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesUploadChunk = {
        var m = Certportal_Certificates_V1_UploadChunk()
        m.part = .header(certificatesUploadHeader)
        return m
    }()

    static let certificatesDownloadRequest = {
        var m = Certportal_Certificates_V1_DownloadRequest()
        m.recordId = UInt64.max
        m.version = UInt32.max
        return m
    }()

    static let certificatesFileHeader = {
        var m = Certportal_Certificates_V1_FileHeader()
        m.fileName = "fileName: Zoë 李雷 محمد 🎓"
        m.mediaType = "mediaType: Zoë 李雷 محمد 🎓"
        m.size = UInt64.max
        m.version = UInt32.max
        return m
    }()

    static let certificatesFileChunk = {
        var m = Certportal_Certificates_V1_FileChunk()
        m.part = .header(certificatesFileHeader)
        return m
    }()

    static let certificatesBundleRequest = {
        var m = Certportal_Certificates_V1_BundleRequest()
        m.recordIds = [1, UInt64.max]
        m.allVersions = true
        return m
    }()

    static let certificatesBundleRecord = {
        var m = Certportal_Certificates_V1_BundleRecord()
        m.recordId = UInt64.max
        m.certificate = certificatesCertificate
        return m
    }()

    static let certificatesBundleChunk = {
        var m = Certportal_Certificates_V1_BundleChunk()
        m.part = .record(certificatesBundleRecord)
        return m
    }()

    static let certificatesShareRequest = {
        var m = Certportal_Certificates_V1_ShareRequest()
        m.recordId = UInt64.max
        m.shared = true
        return m
    }()

    static let certificatesRevokeRequest = {
        var m = Certportal_Certificates_V1_RevokeRequest()
        m.recordId = UInt64.max
        m.version = UInt32.max
        m.reason = "reason: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesAuditEntry = {
        var m = Certportal_Certificates_V1_AuditEntry()
        m.atMs = Int64.min
        m.actor = "actor: Zoë 李雷 محمد 🎓"
        m.action = "action: Zoë 李雷 محمد 🎓"
        m.version = UInt32.max
        m.detail = "detail: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesHistoryRequest = {
        var m = Certportal_Certificates_V1_HistoryRequest()
        m.recordId = UInt64.max
        return m
    }()

    static let certificatesHistory = {
        var m = Certportal_Certificates_V1_History()
        m.certificate = certificatesCertificate
        m.audit = [certificatesAuditEntry, certificatesAuditEntry]
        return m
    }()

    static let certificatesVerifyRequest = {
        var m = Certportal_Certificates_V1_VerifyRequest()
        m.code = "code: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesVerification = {
        var m = Certportal_Certificates_V1_Verification()
        m.holder = "holder: Zoë 李雷 محمد 🎓"
        m.course = "course: Zoë 李雷 محمد 🎓"
        m.completionDate = "completionDate: Zoë 李雷 محمد 🎓"
        m.expiryDate = "expiryDate: Zoë 李雷 محمد 🎓"
        m.state = "state: Zoë 李雷 محمد 🎓"
        m.certificateNumber = "certificateNumber: Zoë 李雷 محمد 🎓"
        m.provider = "provider: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let certificatesMessages: [any ProtoMessage] = [
        certificatesTemplate,
        certificatesListTemplatesRequest,
        certificatesTemplateList,
        certificatesGetTemplateRequest,
        certificatesPutTemplateRequest,
        certificatesPreviewTemplateRequest,
        certificatesVersion,
        certificatesCertificate,
        certificatesGetCertificateRequest,
        certificatesIssueRequest,
        certificatesCertificateWrite,
        certificatesIssueBatchRequest,
        certificatesIssueProgress,
        certificatesUploadHeader,
        certificatesUploadChunk,
        certificatesDownloadRequest,
        certificatesFileHeader,
        certificatesFileChunk,
        certificatesBundleRequest,
        certificatesBundleRecord,
        certificatesBundleChunk,
        certificatesShareRequest,
        certificatesRevokeRequest,
        certificatesAuditEntry,
        certificatesHistoryRequest,
        certificatesHistory,
        certificatesVerifyRequest,
        certificatesVerification,
    ]
}
