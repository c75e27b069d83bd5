"""temp."""

from tests.telegram.conftest import add_chat, add_source, publish, pump, outbox_status


async def test_start_and_alert(bot, fake, tg_store) -> None:
    """Smoke."""
    await fake.command("/start", chat_id=42)
    msg = await fake.wait_for_text(42, "narcowatch")
    print(msg)
    await fake.command("/subscribe drug-control-cooperation", chat_id=42)
    await fake.wait_for_text(42, "Subscribed")
    sid = add_source(tg_store)
    publish(tg_store, sid, 2)
    await pump(bot, lambda: len(fake.messages_to(42)) >= 4)
    for m in fake.messages_to(42):
        print(m.text[:300], m.reply_markup)
    print(outbox_status(tg_store), fake.calls[:3])
