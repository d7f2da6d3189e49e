import Testing
@testable import TollgateClient

/// The `text/event-stream` parser against the WHATWG rules (HTML §9.2.6).
@Suite struct ServerSentEventParserTests {
    private func parse(_ chunks: [String]) -> (events: [ServerSentEvent], parser: ServerSentEventParser) {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for chunk in chunks { events += parser.feed(Array(chunk.utf8)) }
        return (events, parser)
    }

    @Test func tollgateFrameGivesTypeDataAndID() {
        let (events, parser) = parse(["retry: 1000\n\nid: 7\nevent: entitlements.updated\ndata: {\"customer\":\"org_1\"}\n\n"])
        #expect(events == [ServerSentEvent(type: "entitlements.updated", data: "{\"customer\":\"org_1\"}", lastEventID: "7")])
        #expect(parser.retryMilliseconds == 1000)
        #expect(parser.lastEventID == "7")
    }

    @Test func multiLineDataIsJoinedWithLineFeeds() {
        let (events, _) = parse(["data: first\ndata\ndata:  third\n\n"])
        #expect(events.map(\.data) == ["first\n\n third"])
        #expect(events.first?.type == "message")
    }

    @Test func everyLineEndingIsALineEndAlsoSplitAcrossReads() {
        let (events, _) = parse(["data: a\r", "\nevent: x\rdata: b\r\n", "\r", "\n", "data: c\n\n"])
        #expect(events.map(\.data) == ["a\nb", "c"])
        #expect(events.map(\.type) == ["x", "message"])
    }

    @Test func commentsUnknownFieldsAndEmptyDataDispatchNothing() {
        let (events, parser) = parse([": heartbeat\n\n", "foo: bar\n\n", "id: 9\n\n", "event: lonely\n\n"])
        #expect(events.isEmpty)
        // An id without data still sets the last event ID (the spec's buffer).
        #expect(parser.lastEventID == "9")
    }

    @Test func emptyDataLineDispatchesAnEmptyEvent() {
        let (events, _) = parse(["data\n\n"])
        #expect(events == [ServerSentEvent(type: "message", data: "", lastEventID: "")])
    }

    @Test func idWithNULIsIgnoredAndRetryNeedsDigits() {
        let (_, parser) = parse(["id: 3\n", "id: 4\u{0}5\n", "retry: 12a\nretry: 250\nretry: x\ndata: d\n\n"])
        #expect(parser.lastEventID == "3")
        #expect(parser.retryMilliseconds == 250)
    }

    @Test func lastEventIDCarriesToLaterEvents() {
        let (events, _) = parse(["id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"])
        #expect(events.map(\.lastEventID) == ["1", "1", ""])
    }

    @Test func leadingBOMIsDroppedAndOnlyOnce() {
        var parser = ServerSentEventParser()
        let events = parser.feed([0xEF, 0xBB, 0xBF] + Array("data: x\n\n".utf8))
        #expect(events.map(\.data) == ["x"])
        #expect(parser.feed([0xEF, 0xBB, 0xBF] + Array("data: y\n\n".utf8)).isEmpty)
    }

    @Test func onlyOneSpaceAfterTheColonIsDropped() {
        let (events, _) = parse(["data:no space\n\n", "data:  two\n\n"])
        #expect(events.map(\.data) == ["no space", " two"])
    }

    @Test func incompleteEventIsHeldUntilItsBlankLine() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("id: 2\nevent: grant.created\ndata: {}".utf8)).isEmpty)
        #expect(parser.feed(Array("\n".utf8)).isEmpty)
        #expect(parser.feed(Array("\n".utf8)) == [ServerSentEvent(type: "grant.created", data: "{}", lastEventID: "2")])
    }
}
