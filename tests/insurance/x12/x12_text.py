"""Composing small X12 interchanges for tests: the fixtures, and 271s built from a few segments."""

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_270 = (FIXTURES / "dental-270-subscriber.x12").read_text()
SAMPLE_271 = (FIXTURES / "dental-271-subscriber-ppo.x12").read_text()

ISA_271 = (
    "ISA*00*          *00*          *ZZ*EXDENTALPAYER  *ZZ*SMILEDENTAL01  "
    "*250115*0931*^*00501*000000202*0*P*:"
)
GS_271 = "GS*HB*EXDENTALPAYER*SMILEDENTAL01*20250115*0931*202*X*005010X279A1"
PAYER_AND_PROVIDER = (
    "HL*1**20*1",
    "NM1*PR*2*EXAMPLE DENTAL PLAN*****PI*99999",
    "HL*2*1*21*1",
    "NM1*1P*2*SMILE DENTAL GROUP*****XX*1234567893",
)
SUBSCRIBER = (
    "HL*3*2*22*0",
    "TRN*2*930000001*1987654321",
    "NM1*IL*1*DOE*JANE****MI*W123456789",
    "DTP*356*D8*20240901",
)


def interchange_271(*levels: str) -> str:
    """A 271 around these segments (from HL*1 on), with its counts right."""
    transaction = ["ST*271*0001*005010X279A1", "BHT*0022*11*TRACE0001*20250115*0931", *levels]
    transaction.append(f"SE*{len(transaction) + 1}*0001")
    segments = [ISA_271, GS_271, *transaction, "GE*1*202", "IEA*1*000000202"]
    return "".join(f"{segment}~\n" for segment in segments)


def subscriber_271(*benefit_segments: str) -> str:
    """A 271 for the sample's subscriber with these EB loops."""
    return interchange_271(*PAYER_AND_PROVIDER, *SUBSCRIBER, "EB*1**35", *benefit_segments)


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)
