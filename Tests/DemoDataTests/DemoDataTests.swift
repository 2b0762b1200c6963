import Testing
import CSV
import DemoData
import Records

let today = CalendarDate(iso: "2026-03-15")!

/// One data row, by column name.
struct Row {
    let line: Int
    let values: [String: String]
    subscript(_ column: String) -> String { values[column]! }
}

/// The bytes of a plan, in one piece.
func bytes(_ plan: DemoDataPlan) -> [UInt8] {
    var bytes: [UInt8] = []
    DemoData.generate(plan) { bytes += $0 }
    return bytes
}

/// A plan's file, parsed back chunk by chunk as it streams: the header and the rows.
func parsed(_ plan: DemoDataPlan) throws -> (header: [String], rows: [Row]) {
    var reader = CSVReader()
    var records: [CSVRecord] = []
    try DemoData.generate(plan) { chunk in
        try reader.feed(chunk) { records.append($0) }
    }
    try reader.finish { records.append($0) }
    let header = try #require(records.first).fields
    let rows = records.dropFirst().map { record in
        #expect(record.fields.count == 17, "line \(record.line)")
        return Row(line: record.line, values: Dictionary(uniqueKeysWithValues: zip(header, record.fields)))
    }
    return (header, rows)
}

/// The date part of `2026-03-02T09:00`.
func day(_ dateTime: String) -> CalendarDate? {
    guard dateTime.utf8.count == 16, dateTime.dropFirst(10).first == "T" else { return nil }
    return CalendarDate(iso: dateTime.prefix(10))
}

func matches(_ text: String, prefix: String, digits: Int) -> Bool {
    text.hasPrefix(prefix) && text.dropFirst(prefix.count).count >= digits
        && text.dropFirst(prefix.count).allSatisfy { $0.isASCII && $0.isNumber }
}

@Suite struct DemoDataTests {
    @Test func sameSeedSameBytesOtherSeedOtherBytes() {
        let plan = DemoDataPlan(records: 500, seed: 7, today: today)
        let first = bytes(plan)
        #expect(first == bytes(plan))
        #expect(first != bytes(DemoDataPlan(records: 500, seed: 8, today: today)))
        #expect(first != bytes(DemoDataPlan(records: 500, seed: 7, today: CalendarDate(iso: "2026-03-16")!)))
    }

    @Test func headerIsTheImportFormat() throws {
        let expected = [
            "booking_id", "organisation_id", "organisation_name", "booker_id", "booker_name", "booker_email",
            "contact_id", "contact_name", "contact_email", "course_id", "course_name", "validity_months",
            "schedule_id", "schedule_start", "schedule_end", "result", "outstanding",
        ]
        #expect(DemoData.header == expected)
        #expect(try parsed(DemoDataPlan(records: 3, today: today)).header == expected)
        #expect(bytes(DemoDataPlan(records: 0, today: today)) == Array((expected.joined(separator: ",") + "\r\n").utf8))
    }

    @Test(arguments: [1, 2, 9, 17, 500, 2_345])
    func exactlyTheRowsAskedFor(records: Int) throws {
        #expect(try parsed(DemoDataPlan(records: records, seed: 3, today: today)).rows.count == records)
    }

    @Test func streamsInChunksOfAbout64KiB() {
        var sizes: [Int] = []
        DemoData.generate(DemoDataPlan(records: 5_000, today: today)) { sizes.append($0.count) }
        #expect(sizes.count > 5)
        #expect(sizes.dropLast().allSatisfy { (65_536..<(65_536 + 4_096)).contains($0) })
    }

    @Test(arguments: [(500, UInt64(1)), (500, 99), (20_000, 5)])
    func idsAreWellFormedUniqueAndConsistent(records: Int, seed: UInt64) throws {
        let rows = try parsed(DemoDataPlan(records: records, seed: seed, today: today)).rows
        var keys = Set<[String]>()
        var seen: [String: [String: [String]]] = [:]  // kind → id → its fields
        func consistent(_ kind: String, _ id: String, _ fields: [String], line: Int) {
            if let earlier = seen[kind]?[id] {
                #expect(earlier == fields, "\(kind) \(id) differs on line \(line)")
            } else {
                seen[kind, default: [:]][id] = fields
            }
        }
        for row in rows {
            #expect(matches(row["booking_id"], prefix: "BK-", digits: 6))
            #expect(matches(row["organisation_id"], prefix: "ORG-", digits: 4))
            #expect(matches(row["booker_id"], prefix: "BKR-", digits: 4))
            #expect(matches(row["contact_id"], prefix: "C-", digits: 6))
            #expect(matches(row["course_id"], prefix: "CRS-", digits: 2))
            #expect(matches(row["schedule_id"], prefix: "SCH-", digits: 5))
            let key = [row["booking_id"], row["contact_id"], row["schedule_id"]]
            #expect(keys.insert(key).inserted, "\(key) twice")
            consistent("organisation", row["organisation_id"], [row["organisation_name"]], line: row.line)
            consistent("booker", row["booker_id"], [row["booker_name"], row["booker_email"], row["organisation_id"]], line: row.line)
            consistent("contact", row["contact_id"], [row["contact_name"], row["contact_email"], row["organisation_id"]], line: row.line)
            consistent("course", row["course_id"], [row["course_name"], row["validity_months"]], line: row.line)
            consistent("schedule", row["schedule_id"], [row["course_id"], row["schedule_start"], row["schedule_end"]], line: row.line)
            consistent("booking", row["booking_id"],
                       [row["organisation_id"], row["booker_id"], row["schedule_id"], row["outstanding"]], line: row.line)
            for column in ["organisation_name", "booker_name", "contact_name", "course_name"] {
                #expect(!row[column].isEmpty && !row[column].hasPrefix(" ") && !row[column].hasSuffix(" "))
            }
        }
        // Different people never share an e-mail address; addresses are ASCII under .example.
        let contactEmails = seen["contact"]!.values.map { $0[1] }
        #expect(Set(contactEmails).count == contactEmails.count)
        let bookerEmails = seen["booker"]!.values.map { $0[1] }
        #expect(Set(bookerEmails).count == bookerEmails.count)
        for email in contactEmails + bookerEmails {
            #expect(email.allSatisfy(\.isASCII) && email.hasSuffix(".example") && email.split(separator: "@").count == 2, "\(email)")
        }
        // Organisations scale with the plan; their names are distinct.
        let organisations = seen["organisation"]!
        #expect(organisations.count <= max(5, records / 50) && organisations.count >= max(5, records / 50) * 3 / 4)
        #expect(Set(organisations.values).count == organisations.count)
        #expect(seen["course"]!.count <= 20 && seen["course"]!.count >= 15)
    }

    @Test func coursesHaveTheirValidity() throws {
        let rows = try parsed(DemoDataPlan(records: 2_000, today: today)).rows
        let validity = Dictionary(rows.map { ($0["course_name"], $0["validity_months"]) }, uniquingKeysWith: { a, _ in a })
        #expect(validity["First Aid at Work"] == "36")
        #expect(validity["Fire Marshal"] == "36")
        #expect(validity["Manual Handling"] == "12")
        #expect(validity["IOSH Managing Safely"] == "36")
        #expect(validity["Food Hygiene Level 2"] == "36")
        #expect(validity["Working at Height"] == "12")
        #expect(validity.values.contains(""))
        #expect(validity.values.allSatisfy { $0.isEmpty || Int($0).map { $0 > 0 } == true })
    }

    @Test func schedulesAreWeekdaysWithinTheYears() throws {
        let plan = DemoDataPlan(records: 3_000, seed: 11, today: today)
        let rows = try parsed(plan).rows
        let earliest = CalendarDate(year: today.year - plan.years + 1, month: 1, day: 1)!
        var years = Set<Int>()
        for row in rows {
            let start = try #require(day(row["schedule_start"]), "\(row["schedule_start"])")
            let end = try #require(day(row["schedule_end"]), "\(row["schedule_end"])")
            #expect(start >= earliest && start <= today.adding(days: 200))
            #expect(end >= start && end.dayNumber - start.dayNumber < 5)
            // 1970-01-01 was a Thursday: Monday is 0.
            for date in [start, end] { #expect((date.dayNumber + 3) % 7 < 5, "\(date) is a weekend") }
            #expect(row["schedule_start"].hasSuffix(":00") || row["schedule_start"].hasSuffix(":30"))
            years.insert(start.year)
        }
        #expect(years == Set((today.year - plan.years + 1)...today.year))
    }

    @Test func resultsAndBalancesLookReal() throws {
        let rows = try parsed(DemoDataPlan(records: 5_000, seed: 2, today: today)).rows
        var results: [String: Int] = [:]
        var owing = 0
        for row in rows {
            results[row["result"], default: 0] += 1
            if day(row["schedule_end"])! > today { #expect(row["result"] == "", "line \(row.line)") }
            let outstanding = row["outstanding"]
            if outstanding.isEmpty || outstanding == "0" { continue }
            let parts = outstanding.split(separator: ".")
            #expect(parts.count == 2 && parts[1].count == 2 && Int(parts[0]) != nil && Int(parts[1]) != nil, "\(outstanding)")
            owing += 1
        }
        #expect(Set(results.keys) == ["pass", "fail", ""])
        let decided = Double(results["pass"]! + results["fail"]!)
        #expect((0.03...0.12).contains(Double(results["fail"]!) / decided))
        #expect(results["pass"]! > rows.count / 2)
        #expect((0.05...0.2).contains(Double(owing) / Double(rows.count)))
        #expect(rows.contains { $0["outstanding"] == "0" } && rows.contains { $0["outstanding"] == "" })
    }

    @Test func delegatesComeBackForTheSameCourse() throws {
        let rows = try parsed(DemoDataPlan(records: 5_000, seed: 4, today: today)).rows
        let byContactAndCourse = Dictionary(grouping: rows) { [$0["contact_id"], $0["course_id"]] }
        var rebookedAfterExpiry = 0, passedAfterFailing = 0
        for history in byContactAndCourse.values where history.count > 1 {
            let ordered = history.sorted { $0["schedule_start"] < $1["schedule_start"] }
            for (earlier, later) in zip(ordered, ordered.dropFirst()) {
                if earlier["result"] == "fail", later["result"] == "pass" { passedAfterFailing += 1 }
                if earlier["result"] == "pass", let months = Int(earlier["validity_months"]),
                   day(later["schedule_start"])! > day(earlier["schedule_end"])!.adding(months: months) {
                    rebookedAfterExpiry += 1
                }
            }
        }
        #expect(rebookedAfterExpiry >= 10)
        #expect(passedAfterFailing >= 10)
    }

    @Test func namesInManyScripts() throws {
        let rows = try parsed(DemoDataPlan(records: 500, today: today)).rows
        let names = Set(rows.map { $0["contact_name"] })
        func some(_ range: ClosedRange<UInt32>) -> Bool {
            names.contains { $0.unicodeScalars.contains { range.contains($0.value) } }
        }
        #expect(some(0x00C0...0x024F), "Latin with accents (Zoë, Łukasz)")
        #expect(some(0x0370...0x03FF), "Greek")
        #expect(some(0x0400...0x04FF), "Cyrillic")
        #expect(some(0x0600...0x06FF), "Arabic")
        #expect(some(0x0900...0x097F), "Devanagari")
        #expect(some(0x4E00...0x9FFF), "Han")
        #expect(some(0xAC00...0xD7AF), "Hangul")
        #expect(names.filter { $0.allSatisfy(\.isASCII) }.count > names.count / 4)
    }

    @Test(arguments: [(UInt64(1), "2026-03-15"), (2, "2025-11-20"), (42, "2027-06-30")])
    func demoAccountsOwnRecordsOfEveryStatus(seed: UInt64, todayText: String) throws {
        let today = CalendarDate(iso: todayText)!
        let rows = try parsed(DemoDataPlan(records: 500, seed: seed, today: today)).rows
        let organisationRows = rows.filter { $0["organisation_id"] == DemoData.demoOrganisationID }
        let bookerRows = rows.filter { $0["booker_id"] == DemoData.demoBookerID }
        #expect(organisationRows.count >= rows.count / 10)
        #expect(bookerRows.count >= rows.count / 20)
        #expect(bookerRows.allSatisfy { $0["organisation_id"] == DemoData.demoOrganisationID })
        #expect(Set(organisationRows.map { $0["booker_id"] }).count >= 3)

        // Statuses once every pass has its issued certificate.
        func status(_ row: Row, among rows: [Row]) -> RecordStatus {
            let completion = day(row["schedule_end"])!
            let result = AttendeeResult(rawValue: row["result"]) ?? .none
            let certificate = result == .pass
                ? StatusFacts.CurrentCertificate(expiry: RecordStatus.issuedExpiry(
                    completion: completion, validityMonths: Int(row["validity_months"])))
                : nil
            let rebooked = rows.contains {
                $0["contact_id"] == row["contact_id"] && $0["course_id"] == row["course_id"]
                    && $0["schedule_start"] > row["schedule_start"]
            }
            return RecordStatus.evaluate(
                StatusFacts(result: result, completion: completion, currentCertificate: certificate, rebooked: rebooked),
                today: today, horizon: .endOfYear)
        }
        let statuses = Set(bookerRows.map { status($0, among: organisationRows) })
        #expect(statuses == Set(RecordStatus.allCases), "\(statuses)")
    }
}
