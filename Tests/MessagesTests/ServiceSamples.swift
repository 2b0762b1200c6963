import Messages

/// One message of every type of the feed, catalog and stats protos, every field set (see Samples).
extension Samples {
    static let catalogImportChunk = {
        var m = Certportal_Catalog_V1_ImportChunk()
        m.data = [0, 0xFF, 0, 1, 0x80, 0]
        return m
    }()

    static let catalogImportProblem = {
        var m = Certportal_Catalog_V1_ImportProblem()
        m.line = UInt64.max
        m.column = "column: Zoë 李雷 محمد 🎓"
        m.reason = "reason: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogImportResult = {
        var m = Certportal_Catalog_V1_ImportResult()
        m.accepted = true
        m.rows = UInt64.max
        m.inserted = UInt64.max
        m.updated = UInt64.max
        m.unchanged = UInt64.max
        m.problems = [catalogImportProblem, catalogImportProblem]
        m.problemsTotal = UInt64.max
        m.seq = UInt64.max
        return m
    }()

    static let catalogGetRecordRequest = {
        var m = Certportal_Catalog_V1_GetRecordRequest()
        m.recordId = UInt64.max
        return m
    }()

    static let catalogRecordResultRequest = {
        var m = Certportal_Catalog_V1_RecordResultRequest()
        m.recordId = UInt64.max
        m.result = "result: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogWriteAck = {
        var m = Certportal_Catalog_V1_WriteAck()
        m.seq = UInt64.max
        return m
    }()

    static let catalogListRebookSchedulesRequest = {
        var m = Certportal_Catalog_V1_ListRebookSchedulesRequest()
        m.recordId = UInt64.max
        return m
    }()

    static let catalogSchedule = {
        var m = Certportal_Catalog_V1_Schedule()
        m.scheduleId = "scheduleId: Zoë 李雷 محمد 🎓"
        m.courseId = "courseId: Zoë 李雷 محمد 🎓"
        m.start = "start: Zoë 李雷 محمد 🎓"
        m.end = "end: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogScheduleList = {
        var m = Certportal_Catalog_V1_ScheduleList()
        m.schedules = [catalogSchedule, catalogSchedule]
        return m
    }()

    static let catalogRebookRequest = {
        var m = Certportal_Catalog_V1_RebookRequest()
        m.recordId = UInt64.max
        m.scheduleId = "scheduleId: Zoë 李雷 محمد 🎓"
        m.bookingId = "bookingId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogRebookResponse = {
        var m = Certportal_Catalog_V1_RebookResponse()
        m.record = feedCatalogRecord
        m.seq = UInt64.max
        return m
    }()

    static let catalogUpdateCourseRequest = {
        var m = Certportal_Catalog_V1_UpdateCourseRequest()
        m.courseId = "courseId: Zoë 李雷 محمد 🎓"
        m.bookingUrl = "bookingUrl: Zoë 李雷 محمد 🎓"
        m.templateId = "templateId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogCourse = {
        var m = Certportal_Catalog_V1_Course()
        m.courseId = "courseId: Zoë 李雷 محمد 🎓"
        m.name = "name: Zoë 李雷 محمد 🎓"
        m.validityMonths = UInt32.max
        m.bookingUrl = "bookingUrl: Zoë 李雷 محمد 🎓"
        m.templateId = "templateId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogAccount = {
        var m = Certportal_Catalog_V1_Account()
        m.email = "email: Zoë 李雷 محمد 🎓"
        m.role = "role: Zoë 李雷 محمد 🎓"
        m.organisationId = "organisationId: Zoë 李雷 محمد 🎓"
        m.bookerId = "bookerId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogPutAccountRequest = {
        var m = Certportal_Catalog_V1_PutAccountRequest()
        m.account = catalogAccount
        m.password = "password: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogAccountResponse = {
        var m = Certportal_Catalog_V1_AccountResponse()
        m.account = catalogAccount
        m.principal = "principal: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogAuthenticateRequest = {
        var m = Certportal_Catalog_V1_AuthenticateRequest()
        m.email = "email: Zoë 李雷 محمد 🎓"
        m.password = "password: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogCreateInvitationRequest = {
        var m = Certportal_Catalog_V1_CreateInvitationRequest()
        m.email = "email: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let catalogInvitation = {
        var m = Certportal_Catalog_V1_Invitation()
        m.token = "token: Zoë 李雷 محمد 🎓"
        m.expiresAtMs = Int64.min
        return m
    }()

    static let catalogAcceptInvitationRequest = {
        var m = Certportal_Catalog_V1_AcceptInvitationRequest()
        m.token = "token: Zoë 李雷 محمد 🎓"
        m.password = "password: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let feedCatalogRecord = {
        var m = Certportal_Feed_V1_CatalogRecord()
        m.recordId = UInt64.max
        m.bookingId = "bookingId: Zoë 李雷 محمد 🎓"
        m.organisationId = "organisationId: Zoë 李雷 محمد 🎓"
        m.organisationName = "organisationName: Zoë 李雷 محمد 🎓"
        m.bookerId = "bookerId: Zoë 李雷 محمد 🎓"
        m.bookerName = "bookerName: Zoë 李雷 محمد 🎓"
        m.bookerEmail = "bookerEmail: Zoë 李雷 محمد 🎓"
        m.contactId = "contactId: Zoë 李雷 محمد 🎓"
        m.contactName = "contactName: Zoë 李雷 محمد 🎓"
        m.contactEmail = "contactEmail: Zoë 李雷 محمد 🎓"
        m.courseId = "courseId: Zoë 李雷 محمد 🎓"
        m.courseName = "courseName: Zoë 李雷 محمد 🎓"
        m.validityMonths = UInt32.max
        m.scheduleId = "scheduleId: Zoë 李雷 محمد 🎓"
        m.scheduleStart = "scheduleStart: Zoë 李雷 محمد 🎓"
        m.scheduleEnd = "scheduleEnd: Zoë 李雷 محمد 🎓"
        m.result = "result: Zoë 李雷 محمد 🎓"
        m.outstanding = "outstanding: Zoë 李雷 محمد 🎓"
        m.bookingUrl = "bookingUrl: Zoë 李雷 محمد 🎓"
        m.templateId = "templateId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let feedCertificateState = {
        var m = Certportal_Feed_V1_CertificateState()
        m.recordId = UInt64.max
        m.hasCurrent = true
        m.expiryDate = "expiryDate: Zoë 李雷 محمد 🎓"
        m.certType = "certType: Zoë 李雷 محمد 🎓"
        m.updated = true
        m.shared = true
        m.currentVersion = UInt32.max
        return m
    }()

    static let feedFeedEvent = {
        var m = Certportal_Feed_V1_FeedEvent()
        m.seq = UInt64.max
        m.atMs = Int64.min
        m.change = .record(feedCatalogRecord)
        return m
    }()

    static let feedSubscribeRequest = {
        var m = Certportal_Feed_V1_SubscribeRequest()
        m.afterSeq = UInt64.max
        m.maxBatch = UInt32.max
        m.follow = true
        return m
    }()

    static let feedEventBatch = {
        var m = Certportal_Feed_V1_EventBatch()
        m.events = [feedFeedEvent, feedFeedEvent]
        m.headSeq = UInt64.max
        m.feedId = "feedId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let feedHeadResponse = {
        var m = Certportal_Feed_V1_HeadResponse()
        m.headSeq = UInt64.max
        m.feedId = "feedId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let statsRecordFilter = {
        var m = Certportal_Stats_V1_RecordFilter()
        m.from = "from: Zoë 李雷 محمد 🎓"
        m.to = "to: Zoë 李雷 محمد 🎓"
        m.dateField = "dateField: Zoë 李雷 محمد 🎓"
        m.courseId = "courseId: Zoë 李雷 محمد 🎓"
        m.organisationId = "organisationId: Zoë 李雷 محمد 🎓"
        m.bookerId = "bookerId: Zoë 李雷 محمد 🎓"
        m.status = "status: Zoë 李雷 محمد 🎓"
        m.query = "query: Zoë 李雷 محمد 🎓"
        m.minCatalogSeq = UInt64.max
        m.minCertificateSeq = UInt64.max
        return m
    }()

    static let statsStatusSummary = {
        var m = Certportal_Stats_V1_StatusSummary()
        m.certified = UInt64.max
        m.expiring = UInt64.max
        m.expired = UInt64.max
        m.pending = UInt64.max
        m.failed = UInt64.max
        m.booked = UInt64.max
        m.rebooked = UInt64.max
        return m
    }()

    static let statsRecordRow = {
        var m = Certportal_Stats_V1_RecordRow()
        m.recordId = UInt64.max
        m.bookingId = "bookingId: Zoë 李雷 محمد 🎓"
        m.contactId = "contactId: Zoë 李雷 محمد 🎓"
        m.contactName = "contactName: Zoë 李雷 محمد 🎓"
        m.contactEmail = "contactEmail: Zoë 李雷 محمد 🎓"
        m.organisationId = "organisationId: Zoë 李雷 محمد 🎓"
        m.organisationName = "organisationName: Zoë 李雷 محمد 🎓"
        m.bookerId = "bookerId: Zoë 李雷 محمد 🎓"
        m.bookerName = "bookerName: Zoë 李雷 محمد 🎓"
        m.bookerEmail = "bookerEmail: Zoë 李雷 محمد 🎓"
        m.courseId = "courseId: Zoë 李雷 محمد 🎓"
        m.courseName = "courseName: Zoë 李雷 محمد 🎓"
        m.scheduleId = "scheduleId: Zoë 李雷 محمد 🎓"
        m.status = "status: Zoë 李雷 محمد 🎓"
        m.start = "start: Zoë 李雷 محمد 🎓"
        m.completionDate = "completionDate: Zoë 李雷 محمد 🎓"
        m.expiryDate = "expiryDate: Zoë 李雷 محمد 🎓"
        m.certificateUpdated = true
        m.certType = "certType: Zoë 李雷 محمد 🎓"
        m.outstanding = true
        m.shared = true
        m.result = "result: Zoë 李雷 محمد 🎓"
        m.hasCertificate = true
        m.bookingUrl = "bookingUrl: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let statsListRecordsRequest = {
        var m = Certportal_Stats_V1_ListRecordsRequest()
        m.filter = statsRecordFilter
        m.sort = "sort: Zoë 李雷 محمد 🎓"
        m.pageSize = UInt32.max
        m.cursor = "cursor: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let statsRecordPage = {
        var m = Certportal_Stats_V1_RecordPage()
        m.summary = statsStatusSummary
        m.total = UInt64.max
        m.records = [statsRecordRow, statsRecordRow]
        m.nextCursor = "nextCursor: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let statsGetRecordRequest = {
        var m = Certportal_Stats_V1_GetRecordRequest()
        m.recordId = UInt64.max
        m.minCatalogSeq = UInt64.max
        m.minCertificateSeq = UInt64.max
        return m
    }()

    static let statsMatrixRequest = {
        var m = Certportal_Stats_V1_MatrixRequest()
        m.organisationId = "organisationId: Zoë 李雷 محمد 🎓"
        m.minCatalogSeq = UInt64.max
        m.minCertificateSeq = UInt64.max
        return m
    }()

    static let statsMatrixCourse = {
        var m = Certportal_Stats_V1_MatrixCourse()
        m.courseId = "courseId: Zoë 李雷 محمد 🎓"
        m.courseName = "courseName: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let statsMatrixCell = {
        var m = Certportal_Stats_V1_MatrixCell()
        m.courseIndex = UInt32.max
        m.status = "status: Zoë 李雷 محمد 🎓"
        m.expiryDate = "expiryDate: Zoë 李雷 محمد 🎓"
        m.recordId = UInt64.max
        return m
    }()

    static let statsMatrixRow = {
        var m = Certportal_Stats_V1_MatrixRow()
        m.contactId = "contactId: Zoë 李雷 محمد 🎓"
        m.contactName = "contactName: Zoë 李雷 محمد 🎓"
        m.organisationName = "organisationName: Zoë 李雷 محمد 🎓"
        m.cells = [statsMatrixCell, statsMatrixCell]
        return m
    }()

    static let statsMatrixResponse = {
        var m = Certportal_Stats_V1_MatrixResponse()
        m.courses = [statsMatrixCourse, statsMatrixCourse]
        m.rows = [statsMatrixRow, statsMatrixRow]
        m.truncated = true
        return m
    }()

    static let statsForecastRequest = {
        var m = Certportal_Stats_V1_ForecastRequest()
        m.filter = statsRecordFilter
        m.months = UInt32.max
        return m
    }()

    static let statsForecastMonth = {
        var m = Certportal_Stats_V1_ForecastMonth()
        m.month = "month: Zoë 李雷 محمد 🎓"
        m.expiring = UInt64.max
        return m
    }()

    static let statsForecastResponse = {
        var m = Certportal_Stats_V1_ForecastResponse()
        m.months = [statsForecastMonth, statsForecastMonth]
        return m
    }()

    static let statsFacet = {
        var m = Certportal_Stats_V1_Facet()
        m.id = "id: Zoë 李雷 محمد 🎓"
        m.name = "name: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let statsFacetsResponse = {
        var m = Certportal_Stats_V1_FacetsResponse()
        m.courses = [statsFacet, statsFacet]
        m.organisations = [statsFacet, statsFacet]
        m.bookers = [statsFacet, statsFacet]
        return m
    }()

    static let statsPositionResponse = {
        var m = Certportal_Stats_V1_PositionResponse()
        m.catalogSeq = UInt64.max
        m.certificateSeq = UInt64.max
        m.records = UInt64.max
        m.today = "today: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let serviceFieldless: Set<String> = [
        Certportal_Feed_V1_HeadRequest.protoMessageName,
        Certportal_Stats_V1_FacetsRequest.protoMessageName,
        Certportal_Stats_V1_PositionRequest.protoMessageName,
        Certportal_Certificates_V1_ListTemplatesRequest.protoMessageName,
    ]

    static let serviceMessages: [any ProtoMessage] = [
        catalogImportChunk,
        catalogImportProblem,
        catalogImportResult,
        catalogGetRecordRequest,
        catalogRecordResultRequest,
        catalogWriteAck,
        catalogListRebookSchedulesRequest,
        catalogSchedule,
        catalogScheduleList,
        catalogRebookRequest,
        catalogRebookResponse,
        catalogUpdateCourseRequest,
        catalogCourse,
        catalogAccount,
        catalogPutAccountRequest,
        catalogAccountResponse,
        catalogAuthenticateRequest,
        catalogCreateInvitationRequest,
        catalogInvitation,
        catalogAcceptInvitationRequest,
        feedCatalogRecord,
        feedCertificateState,
        feedFeedEvent,
        feedSubscribeRequest,
        feedEventBatch,
        feedHeadResponse,
        statsRecordFilter,
        statsStatusSummary,
        statsRecordRow,
        statsListRecordsRequest,
        statsRecordPage,
        statsGetRecordRequest,
        statsMatrixRequest,
        statsMatrixCourse,
        statsMatrixCell,
        statsMatrixRow,
        statsMatrixResponse,
        statsForecastRequest,
        statsForecastMonth,
        statsForecastResponse,
        statsFacet,
        statsFacetsResponse,
        statsPositionResponse,
        Certportal_Feed_V1_HeadRequest(),
        Certportal_Stats_V1_FacetsRequest(),
        Certportal_Stats_V1_PositionRequest(),
    ]
}
