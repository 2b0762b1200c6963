import Testing
@testable import CSV

@Test func placeholderCSV() {}
