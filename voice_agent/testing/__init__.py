"""Test doubles shipped with the package, for the test suite, local runs and benchmarks."""

from voice_agent.testing.fake_openai import FakeOpenAIServer, FakeToolCall, RecordedRequest, Reply

__all__ = ["FakeOpenAIServer", "FakeToolCall", "RecordedRequest", "Reply"]
