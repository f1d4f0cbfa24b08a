from tests.slackapp import *  # noqa
from tests.slackhttp import get

def test_smoke(slack_app):
    r = slack_app.command("help")
    assert r.status == 200, r.body
    print(slack_app.reply_text())
    r = get(slack_app.url + "/healthz"); assert r.status == 200 and r.json() == {"ok": True}
    r = slack_app.command("add <@U123|marie> Relancer le plan de renfort d'ici vendredi !high")
    assert r.status == 200
    print(slack_app.reply_text(after=1))
    print(slack_app.actions())
    print(slack_app.home("U123"))
