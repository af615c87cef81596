"""Inventory and equipment, eggs and pets."""

from django.db import transaction
from django.db.models import F, QuerySet

from accounts.models import User
from gameplatform.core.errors import ApplicationError, Conflict, NotFound
from progression import rules
from progression.models import Egg, InventoryItem, ItemTemplate, Pet, PetSpecies, Player, Slot
from progression.services.players import balance_change, player_lock


def inventory_grant(*, player: Player, template: ItemTemplate, quantity: int = 1) -> InventoryItem:
    """Add items to a player's stack of that template (one row per template)."""
    stack, created = InventoryItem.objects.get_or_create(
        player=player, template=template, defaults={"slot": template.slot, "quantity": quantity}
    )
    if not created:
        InventoryItem.objects.filter(pk=stack.pk).update(quantity=F("quantity") + quantity)
        stack.refresh_from_db(fields=["quantity"])
    return stack


def inventory_take(*, player: Player, template: ItemTemplate, quantity: int) -> int:
    """Take up to ``quantity`` of a template back from a locked player (a refunded purchase);
    returns how many were there to take. A stack taken whole goes, equipped or not."""
    stack = InventoryItem.objects.select_for_update().filter(player=player, template=template).first()
    if stack is None:
        return 0
    taken = min(quantity, stack.quantity)
    if taken == stack.quantity:
        stack.delete()
    else:
        InventoryItem.objects.filter(pk=stack.pk).update(quantity=F("quantity") - taken)
    return taken


def _owned(things: QuerySet, *, player: Player, pk: int, missing: str):
    """One of the player's items, eggs or pets; 404 ``not_found`` (``missing``) for anyone else's."""
    found = things.filter(pk=pk, player=player).first()
    if found is None:
        raise NotFound(missing)
    return found


def _own_item(*, player: Player, inventory_id: int) -> InventoryItem:
    items = InventoryItem.objects.select_related("template")
    return _owned(items, player=player, pk=inventory_id, missing="No such item in your inventory.")


@transaction.atomic
def inventory_equip(*, user: User, inventory_id: int) -> InventoryItem:
    """Equip one of your items; whatever was in that slot is unequipped."""
    player = player_lock(user_id=user.pk)
    item = _own_item(player=player, inventory_id=inventory_id)
    if not item.equipped:
        InventoryItem.objects.filter(player=player, slot=item.slot, equipped=True).update(equipped=False)
        item.equipped = True
        item.save(update_fields=["equipped"])
    return item


@transaction.atomic
def inventory_unequip(*, user: User, slot: str) -> InventoryItem:
    if slot not in Slot.values:
        raise ApplicationError(f"Slot must be one of {', '.join(Slot.values)}.", code="invalid_slot")
    player = player_lock(user_id=user.pk)
    item = InventoryItem.objects.select_related("template").filter(player=player, slot=slot, equipped=True).first()
    if item is None:
        raise NotFound("Nothing is equipped in that slot.", code="not_equipped")
    item.equipped = False
    item.save(update_fields=["equipped"])
    return item


def egg_grant(*, player: Player, species: PetSpecies, quantity: int = 1, source: str = "shop") -> list[Egg]:
    return Egg.objects.bulk_create(Egg(player=player, species=species, source=source) for _ in range(quantity))


@transaction.atomic
def egg_hatch(*, user: User, egg_id: int) -> Pet:
    """Eggs hatch at once: the egg is used up and the pet appears, unequipped, at level 1."""
    player = player_lock(user_id=user.pk)
    egg = _owned(Egg.objects.select_related("species"), player=player, pk=egg_id, missing="No such egg.")
    egg.delete()
    return Pet.objects.create(player=player, species=egg.species)


def _locked_own_pet(*, user: User, pet_id: int) -> tuple[Player, Pet]:
    """The player, its row locked (which serialises its pets' changes), and its pet ``pet_id``."""
    player = player_lock(user_id=user.pk)
    return player, _owned(Pet.objects.select_related("species"), player=player, pk=pet_id, missing="No such pet.")


@transaction.atomic
def pet_feed(*, user: User, pet_id: int) -> Pet:
    """Feeding costs ``PET_FEED_COST_GOLD`` gold and gives ``PET_FEED_XP`` pet XP."""
    player, pet = _locked_own_pet(user=user, pet_id=pet_id)
    if pet.level >= rules.PET_MAX_LEVEL:
        raise Conflict("This pet is at its highest level.", code="pet_max_level")
    balance_change(player=player, gold=-rules.PET_FEED_COST_GOLD, reason="pet_feed", reference=f"pet:{pet.pk}")
    pet.xp += rules.PET_FEED_XP
    while pet.level < rules.PET_MAX_LEVEL and pet.xp >= rules.pet_xp_to_next_level(pet.level):
        pet.xp -= rules.pet_xp_to_next_level(pet.level)
        pet.level += 1
    if pet.level >= rules.PET_MAX_LEVEL:
        pet.xp = 0
    pet.save(update_fields=["xp", "level"])
    return pet


@transaction.atomic
def pet_equip(*, user: User, pet_id: int) -> Pet:
    """Up to ``PETS_EQUIPPED_MAX`` pets at once (the player's row lock serialises the count)."""
    player, pet = _locked_own_pet(user=user, pet_id=pet_id)
    if pet.equipped:
        return pet
    if Pet.objects.filter(player=player, equipped=True).count() >= rules.PETS_EQUIPPED_MAX:
        raise Conflict(f"At most {rules.PETS_EQUIPPED_MAX} pets can be equipped.", code="too_many_pets")
    pet.equipped = True
    pet.save(update_fields=["equipped"])
    return pet


@transaction.atomic
def pet_unequip(*, user: User, pet_id: int) -> Pet:
    _, pet = _locked_own_pet(user=user, pet_id=pet_id)
    if pet.equipped:
        pet.equipped = False
        pet.save(update_fields=["equipped"])
    return pet
