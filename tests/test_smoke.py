def test_patient_list_shows_the_practices_patients(client_for, alice, patient, outsider_patient):
    response = client_for(alice).get("/p/smile-north/patients/")
    assert response.status_code == 200
    assert b"Gomez" in response.content
    assert b"Outsider" not in response.content
