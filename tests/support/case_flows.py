"""A resident's request filled in through the chat, as a person would: for the end-to-end tests of cases."""

from __future__ import annotations

DESCRIPTION = "孩子就读的学校离家太远，每天上学要走一个小时山路，希望能协调校车。"


async def press(user, label: str, message=None):
    await user.press(label, message=message)
    return await user.expect_message()


async def file_request(user, *, category="教育", regions=("甘肃省", "甘南藏族自治州", "合作市"), here=True,
                       description=DESCRIPTION, phone: str | None = "+86 139-1234-5678", consent=False,
                       photos: int = 1):
    """Fill the request form up to the card; returns the card message."""
    await user.send("/request")
    categories = await user.expect_message()
    if "反映问题" in categories.text and "您将向" in categories.text:  # came through a member's link
        categories = await user.expect_message()
    assert "您的问题属于哪一类" in categories.text
    step = await press(user, category, categories)
    assert "问题发生在哪里" in step.text
    for name in regions:
        step = await press(user, name, step)
    if regions and here:
        step = await press(user, f"✔ 就在{regions[-1]}", step)
    elif not regions:
        step = await press(user, "不确定 / 跳过", step)
    assert "请描述您遇到的问题" in step.text
    await user.send(description)
    step = await user.expect_message()
    for _ in range(photos):
        await user.send_photo()
        await user.expect_message()
    step = await press(user, "完成" if photos else "跳过", step)
    assert "分享我的手机号" in step.text or "留下联系方式" in step.text
    await user.expect_message()  # "不方便留号码，可以点“跳过”"
    if phone:
        await user.share_contact(phone)
        await user.expect_message()  # 已记录手机号
        consent_question = await user.expect_message()
        return await press(user, "允许委员看到我的手机号" if consent else "不允许（默认）", consent_question)
    return await press(user, "跳过")
