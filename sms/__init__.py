"""SMS gateway: reads inbound texts into RSVPs and sends replies through Twilio, a GSM modem or the console."""
