import TollgateBase

extension StripeEventApplier: BackgroundService {}
