import Testing

/// Every test here runs a real inotify watcher, and libinotifytools allows one per process: run them one at a time.
@Suite(.serialized) struct WatchTests {}
