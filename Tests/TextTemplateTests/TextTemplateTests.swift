import Testing
import TextTemplate

@Suite struct TextTemplateTests {
    let values = ["name": "Zoë {name}", "course": "First Aid"]

    @Test func fillsKnownNamesOnceAndLeavesTheRest() {
        let text = TextTemplate.fill("Dear {name}, {course} {unknown} {a {course}") { values[$0] }
        #expect(text == "Dear Zoë {name}, First Aid {unknown} {a First Aid")
    }

    @Test func tellsWhereEachValueWent() {
        var ranges: [String: Range<Int>] = [:]
        let text = TextTemplate.fill("é {course}!", filled: { ranges[$0] = $1 }) { values[$0] }
        #expect(Array(Array(text.utf8)[ranges["course"]!]) == Array("First Aid".utf8))
    }

    @Test func checkNamesTheFieldAndTheUnknownPlaceholder() throws {
        try TextTemplate.check("Hello {name}", field: "body", known: ["name"])
        let unknown = #expect(throws: TextTemplate.Problem.self) { try TextTemplate.check("{nmae}", field: "subject", known: ["name"]) }
        #expect(unknown?.description == "subject: unknown placeholder {nmae}; known: {name}")
        let open = #expect(throws: TextTemplate.Problem.self) { try TextTemplate.check("a {name", field: "body", known: ["name"]) }
        #expect(open?.description == "body: \"{\" without a closing \"}\"")
    }
}
