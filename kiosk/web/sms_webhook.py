"""``POST /sms/twilio``: Twilio's inbound webhook. It checks the signature, spools the text and answers at once.

The signature is checked against ``[sms.twilio] public_url`` when set (behind a reverse proxy the URL Flask sees
is not the one Twilio called), otherwise against the URL rebuilt from X-Forwarded-Proto/Host. A forged or
unsigned request gets 403. The reply goes out later through the queue, so the answer is an empty TwiML.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from sms.spool import Spool

bp = Blueprint("sms_webhook", __name__)


@bp.post("/sms/twilio")
def twilio_inbound() -> Response:
    settings = current_app.config["SETTINGS"]
    token = settings.twilio.auth_token
    if settings.sms.backend != "twilio" or settings.twilio.inbound != "webhook" or not token:
        abort(404)
    # Imported here: twilio and requests cost the web process ~5 MB, needed only with the webhook configured.
    from sms.twilio_backend import inbound_from_webhook, twiml_empty, validate_webhook, webhook_url

    params = request.form.to_dict()
    url = webhook_url(request.url, dict(request.headers), public_url=settings.twilio.public_url or None)
    if not validate_webhook(url, params, request.headers.get("X-Twilio-Signature"), token):
        abort(403)
    try:
        text = inbound_from_webhook(params)
    except ValueError:
        abort(400)
    Spool(settings.data_path / "sms-spool").append(text)
    return Response(twiml_empty(), mimetype="application/xml")
