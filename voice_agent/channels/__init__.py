"""Transport adapters (edge only): parse Twilio webhooks, call the engine, render TwiML."""
