"""Every built-in export format passes the contract a plugin author runs on theirs."""

from __future__ import annotations

from plantao.testing import ExportFormatContract
from plantao_plugins.exports import CsvFormat, IcsFormat, JsonFormat


class TestIcsFormat(ExportFormatContract):
    format = IcsFormat()


class TestCsvFormat(ExportFormatContract):
    format = CsvFormat()


class TestJsonFormat(ExportFormatContract):
    format = JsonFormat()


def test_the_contract_catches_a_format_that_renders_text():
    import pytest

    class Careless(CsvFormat):
        def render(self, shifts, context):
            return super().render(shifts, context).decode("utf-8")

    class TestCareless(ExportFormatContract):
        format = Careless()

    with pytest.raises(AssertionError):
        TestCareless().test_render_gives_bytes()
