import json

from fpga.cli import main


def test_info_json_on_model_and_project_agree(capsys, bypass64_model, bypass64_project):
    assert main(["info", str(bypass64_model), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert main(["info", str(bypass64_project), "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    assert m["params"] == p["params"] == 47322
    assert m["macs"] == p["macs"] > 0
    assert m["weight_bits"] == p["weight_bits"] == 8 * m["params"]
    assert m["weight_bytes"] == m["params"]


def test_info_table(capsys, bypass64_model):
    assert main(["info", str(bypass64_model)]) == 0
    out = capsys.readouterr().out
    assert "fire9_bypass" in out and "params 47,322" in out
