import TollgateBase

extension OutboxWorker: BackgroundService {}
